/* Evaluation pages: live character counts on comments, a confirmation before locking a report, a warning
   before leaving unsaved changes, and a quick filter on tables. No inline script: the CSP allows none. */
(function () {
  "use strict";

  function counters(form) {
    form.querySelectorAll("textarea[data-min-length]").forEach(function (area) {
      var min = parseInt(area.getAttribute("data-min-length"), 10) || 0;
      var note = document.createElement("p");
      note.className = "hint char-count";
      note.setAttribute("aria-live", "polite");
      area.after(note);
      function update() {
        var length = area.value.trim().length;
        note.textContent = length + " characters" + (length < min ? " (" + (min - length) + " more to submit)" : "");
        note.classList.toggle("short", length < min);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  function guard(form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var question = button && button.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        return;
      }
      dirty = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  function filter(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-report-form").forEach(function (form) { counters(form); guard(form); });
    document.querySelectorAll("input.js-table-filter").forEach(filter);
  });
})();
