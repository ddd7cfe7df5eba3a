/* Evaluation pages: live character counts on comments, the report checked and then a confirmation before
   locking it, a warning before leaving unsaved changes, and a quick filter on tables. No inline script: the CSP allows none. */
(function () {
  "use strict";

  var say = window.eurograntsText;

  function counters(form) {
    form.querySelectorAll("textarea[data-min-length]").forEach(function (area) {
      var min = parseInt(area.getAttribute("data-min-length"), 10) || 0;
      var note = document.createElement("p");
      note.className = "hint char-count";
      note.setAttribute("aria-live", "polite");
      area.after(note);
      function update() {
        var length = area.value.trim().length;
        note.textContent = length < min ? say("characters_short", {missing: min - length}, length)
          : say("characters", {}, length);
        note.classList.toggle("short", length < min);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  // What the server would refuse on submitting (app/report_scores.py completeness_errors), checked in the page
  // before the lock confirmation: a confirmation for a report that cannot be submitted would only mislead.
  function labelOf(field) {
    var label = field.id && document.querySelector("label[for='" + field.id + "']");
    return label ? label.textContent.trim() : field.name;
  }

  function incomplete(form) {
    var problems = [];
    form.querySelectorAll("select[name^='score_']").forEach(function (select) {
      if (!select.value) { problems.push({field: select, text: say("choose_score", {label: labelOf(select)})}); }
    });
    form.querySelectorAll("textarea[data-min-length]").forEach(function (area) {
      var min = parseInt(area.getAttribute("data-min-length"), 10) || 0;
      if (area.value.trim().length < min) {
        problems.push({field: area, text: say("write_at_least", {label: labelOf(area)}, min)});
      }
    });
    return problems;
  }

  function showProblems(form, problems) {
    var old = form.querySelector(".js-submit-problems");
    if (old) { old.remove(); }
    form.querySelectorAll("[data-submit-problem]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("data-submit-problem");
    });
    if (!problems.length) { return; }
    var box = document.createElement("div");
    box.className = "error-summary js-submit-problems";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    var title = document.createElement("h2");
    title.textContent = say("not_submitted", {}, problems.length);
    box.appendChild(title);
    var list = document.createElement("ul");
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem.field.id;
      link.textContent = problem.text;
      item.appendChild(link);
      list.appendChild(item);
      problem.field.setAttribute("aria-invalid", "true");
      problem.field.setAttribute("data-submit-problem", "");
    });
    box.appendChild(list);
    form.insertBefore(box, form.firstChild);
    box.focus();
  }

  function guard(form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var question = button && button.getAttribute("data-confirm");
      if (question) {
        var problems = incomplete(form);
        showProblems(form, problems);
        if (problems.length) { event.preventDefault(); return; }
      }
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
