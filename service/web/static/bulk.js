// Bulk forms (a list whose rows can be ticked): a checkbox in the column's head ticks or
// clears every row of this page. Without JavaScript each row is ticked by hand, or every row
// of the filter with the form's own "choose all" box. From a file: the CSP admits no inline
// script.
(function () {
  "use strict";

  function wire(form) {
    var head = form.querySelector("thead th.select");
    var boxes = form.querySelectorAll("tbody td.select input[type=checkbox]");
    if (!head || boxes.length === 0) {
      return;
    }
    var all = document.createElement("input");
    all.type = "checkbox";
    all.className = "select-page";
    all.setAttribute("aria-label", form.getAttribute("data-select-page") || "");
    head.appendChild(all);

    function sync() {
      var ticked = 0;
      boxes.forEach(function (box) { if (box.checked) { ticked++; } });
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }

    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
  }

  function ready() {
    document.querySelectorAll("form.bulk-form").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
