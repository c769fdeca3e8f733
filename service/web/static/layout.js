// The layout's few behaviours, from a file because the CSP admits no inline script:
// the menu button that opens the sidebar on a phone, the account menu that closes
// when one clicks elsewhere, and wide tables that the keyboard can scroll. Without
// JavaScript the sidebar simply stands above the page.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // On a phone a wide table scrolls sideways in its own box (app.css). The keyboard scrolls
  // a box only once it holds the focus, so a table that overflows takes the focus too
  // (screen readers name it by its caption); one that fits does not.
  function focusableWhenScrolling() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }

  function ready() {
    focusableWhenScrolling();
    window.addEventListener("resize", focusableWhenScrolling);

    var button = document.querySelector("[data-menu-button]");
    var sidebar = document.getElementById("sidebar");

    function setOpen(open) {
      document.body.classList.toggle("nav-open", open);
      button.setAttribute("aria-expanded", String(open));
    }

    if (button && sidebar) {
      button.addEventListener("click", function () {
        setOpen(button.getAttribute("aria-expanded") !== "true");
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
          setOpen(false);
          button.focus();
        }
      });
    }

    document.addEventListener("click", function (event) {
      if (button && sidebar && document.body.classList.contains("nav-open") &&
          !sidebar.contains(event.target) && !button.contains(event.target)) {
        setOpen(false);
      }
      document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) {
          menu.open = false;
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
