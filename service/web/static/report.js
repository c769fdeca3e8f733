// The annual report's explanations save themselves where they are written: when the field is
// left, or a moment after typing stops. Each row's form still posts (and reloads the page at
// that row) without script; with it, the form's own fields go by fetch, asking for JSON, and
// the page stays where it is. The row says 已保存 or 保存失败, its label drops the
// "explain why" warning once explained, and the summary's count of figures still to
// explain follows. The words come from the page (data-*), in its language.
(function () {
  "use strict";
  var PAUSE_MS = 1200;
  var figures = document.getElementById("figures");
  if (!figures || !window.fetch) {
    return;
  }
  var words = {
    saving: figures.getAttribute("data-saving"),
    saved: figures.getAttribute("data-saved"),
    failed: figures.getAttribute("data-failed"),
    toExplain: figures.getAttribute("data-to-explain"),
    explained: figures.getAttribute("data-explained")
  };

  // A row's label says what the page would say on a reload: the warning while the figure
  // still needs an explanation, the plain "Explanation" once it has one.
  function label(row, needed) {
    var element = row.querySelector("form.explanation label");
    if (!element) {
      return;
    }
    var warning = element.querySelector("strong.error");
    if (needed && !warning) {
      warning = document.createElement("strong");
      warning.className = "error";
      warning.textContent = words.toExplain;
      element.replaceChildren(warning);
    } else if (!needed && (warning || element.textContent !== words.explained)) {
      element.replaceChildren(document.createTextNode(words.explained));
    }
  }

  function show(state, text, kind) {
    state.textContent = text;
    state.className = "save-state" + (kind ? " " + kind : "");
  }

  // The summary after a save: the count, the list of figures still to explain, the rows'
  // marks and the sections' badges.
  function followSummary(unexplained) {
    var codes = unexplained.map(function (item) { return item.code; });
    var count = document.getElementById("unexplained-count");
    if (count) {
      count.textContent = String(codes.length);
    }
    document.querySelectorAll("#to-explain li[data-code]").forEach(function (item) {
      item.hidden = codes.indexOf(item.getAttribute("data-code")) < 0;
    });
    var list = document.getElementById("to-explain");
    var done = document.getElementById("all-explained");
    if (list) {
      list.hidden = codes.length === 0;
    }
    if (done) {
      done.hidden = codes.length !== 0;
    }
    document.querySelectorAll("#figures tr[id^='figure-']").forEach(function (row) {
      var code = row.id.slice("figure-".length);
      var needed = codes.indexOf(code) >= 0;
      row.classList.toggle("needs-explanation", needed);
      label(row, needed);
    });
    // The sections' counts (in the index and on each section's heading line): the number
    // in their words follows, and a count of none is hidden.
    document.querySelectorAll("[data-attention-of]").forEach(function (note) {
      var section = document.getElementById(note.getAttribute("data-attention-of"));
      var left = section.querySelectorAll("tr.needs-explanation, tr.has-comment").length;
      note.textContent = note.textContent.replace(/\d+/, String(left));
      note.hidden = left === 0;
    });
  }

  function autosave(form) {
    var field = form.querySelector("textarea");
    var state = form.querySelector(".save-state");
    var saved = field.value;
    var sending = null;
    var timer = null;

    function save() {
      window.clearTimeout(timer);
      timer = null;
      var text = field.value;
      if (text === saved || text === sending) {
        return;
      }
      sending = text;
      show(state, words.saving, "");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(
            function (data) { return { ok: response.ok, data: data }; },
            function () { return { ok: false, data: {} }; }
          );
        })
        .then(function (answer) {
          if (answer.ok && answer.data.saved) {
            saved = text;
            show(state, words.saved, "saved");
            followSummary(answer.data.unexplained || []);
          } else {
            var reason = answer.data.message ? "：" + answer.data.message : "";
            show(state, words.failed + reason, "failed");
          }
        })
        .catch(function () { show(state, words.failed, "failed"); })
        .then(function () { sending = null; });
    }

    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, PAUSE_MS);
    });
    field.addEventListener("blur", save);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
    });
  }

  document.querySelectorAll("#figures form.explanation").forEach(autosave);

  // A link to a row of a closed section (from the summary) opens the section first.
  function openTarget() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    var section = target && target.closest("details.report-section");
    if (section && !section.open) {
      section.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
