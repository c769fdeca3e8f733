// Bulk forms (a list whose rows can be ticked): a checkbox in the column's head ticks or
// clears every row of this page, and the form's own "choose all N of this filter" box ticks
// them too. Without JavaScript each row is ticked by hand, or every row of the filter with
// that box (the server works the filter out again; the ticked ids are then not read). From a file: the CSP admits no inline
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

    // "Every row of the filter" (the form's own box, as Gmail's "select all N"): it ticks
    // every row on show; taking a row out of the choice takes it back.
    var matching = form.querySelector("input[name=all_matching]");

    function sync() {
      var ticked = 0;
      boxes.forEach(function (box) { if (box.checked) { ticked++; } });
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
      if (matching && ticked < boxes.length) {
        matching.checked = false;
      }
    }

    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      if (matching && !all.checked) {
        matching.checked = false;
      }
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    if (matching) {
      matching.addEventListener("change", function () {
        if (matching.checked) {
          boxes.forEach(function (box) { box.checked = true; });
          sync();
        }
      });
    }
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
