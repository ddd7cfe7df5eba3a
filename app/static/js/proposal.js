/* Proposal pages: a countdown to the deadline, saving when leaving a section, partner rows, the budget total.
   Everything works without JavaScript; this only makes it quicker and safer. */
(function () {
  "use strict";

  var say = window.eurograntsText;

  // Time left, from the server's clock (data-now) rather than the visitor's, which may be wrong.
  function formatLeft(ms) {
    var s = Math.floor(ms / 1000);
    if (s <= 0) { return say("closed"); }
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) { return say("days_left", {hours: h}, d); }
    if (h) { return say("hours_left", {hours: h, minutes: String(m).padStart(2, "0")}); }
    if (m) { return say("minutes_left", {minutes: m, seconds: String(sec).padStart(2, "0")}); }
    return say("seconds_left", {seconds: sec});
  }

  function countdowns() {
    var items = Array.prototype.slice.call(document.querySelectorAll(".js-countdown"));
    if (!items.length) { return; }
    var skew = Date.parse(items[0].dataset.now) - Date.now();
    function tick() {
      var now = Date.now() + skew;
      items.forEach(function (el) {
        var left = Date.parse(el.dataset.deadline) - now;
        el.textContent = formatLeft(left);
        el.classList.toggle("urgent", left > 0 && left < 3600 * 1000);
        el.classList.toggle("closed", left <= 0);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  // Sections save when the user leaves them: a click on another section's link submits the form first.
  function autosave(form) {
    var dirty = false, submitting = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { submitting = true; });
    document.querySelectorAll(".section-tabs a[data-section], .check-fix a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!dirty || submitting) { return; }
        event.preventDefault();
        var section = link.dataset.section || (link.getAttribute("href").split("/").pop()) || "overview";
        var next = form.querySelector("input[name=next_section]");
        if (next) { next.value = /^\d+$/.test(section) ? "overview" : section; }
        submitting = true;
        var state = form.querySelector("[data-save-state]");
        if (state) { state.textContent = say("saving"); }
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  // One more empty partner row, numbered after the last one.
  function partnerRows() {
    var button = document.querySelector("[data-add-partner]");
    var table = document.querySelector("[data-partners] tbody");
    if (!button || !table) { return; }
    button.addEventListener("click", function () {
      var rows = table.querySelectorAll("tr.partner-row");
      var last = rows[rows.length - 1];
      if (!last) { return; }
      var next = 0;
      table.querySelectorAll("[name^='partners-']").forEach(function (el) {
        var n = parseInt(el.name.split("-")[1], 10);
        if (n + 1 > next) { next = n + 1; }
      });
      var copy = last.cloneNode(true);
      copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/^partners-\d+-/, "partners-" + next + "-")); }
        });
        if (el.tagName === "INPUT" && el.type === "checkbox") { el.checked = false; }
        else if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") { el.value = ""; }
        else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
        el.removeAttribute("aria-invalid");
      });
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      copy.querySelector("td").textContent = String(rows.length + 2);
      table.appendChild(copy);
      var first = copy.querySelector("input[type=text]");
      if (first) { first.focus(); }
    });
  }

  // An amount in cents (to stay exact) read as the server reads it (app/inputs.py, read_typed_amount): the common
  // European forms ("1 200 000,00", "1.200.000,00", "1,200,000.00", "1200000"); NaN for what the server refuses,
  // e.g. the ambiguous "1.200"; 0 for an empty field.
  function cents(text) {
    var t = String(text || "").trim().replace(/[\s\u00a0\u202f'\u2019]/g, "");
    if (!t) { return 0; }
    var whole = t, frac = "";
    var last = Math.max(t.lastIndexOf("."), t.lastIndexOf(","));
    if (last >= 0 && t.length - last - 1 >= 1 && t.length - last - 1 <= 2) { whole = t.slice(0, last); frac = t.slice(last + 1); }
    if (!whole || !(/^\d+$/.test(whole) || /^\d{1,3}([.,]\d{3})+$/.test(whole)) || (frac && !/^\d+$/.test(frac))) { return NaN; }
    var groups = whole.split(/[.,]/);
    if (!frac && groups.length === 2) { return NaN; }
    var separators = [".", ","].filter(function (mark) { return whole.indexOf(mark) !== -1; });
    if (separators.length > 1 || (frac && separators.indexOf(t.charAt(last)) !== -1)) { return NaN; }
    return parseInt(groups.join(""), 10) * 100 + (frac ? parseInt((frac + "0").slice(0, 2), 10) : 0);
  }
  window.eurograntsCents = cents;  // the live checklist reads the requested grant the same way
  var money = window.eurograntsMoney;
  function budget(form) {
    var total = form.querySelector("[data-split-total]"), note = form.querySelector("[data-split-note]");
    var requested = form.querySelector("input[name=requested_grant]");
    function update() {
      var sum = 0, bad = false;
      form.querySelectorAll("input.amount").forEach(function (input) {
        var c = cents(input.value);
        if (isNaN(c)) { bad = true; } else { sum += c; }
      });
      var want = cents(requested ? requested.value : "");
      total.textContent = bad ? "—" : money(sum);
      if (bad || isNaN(want)) { note.textContent = say("amount_form"); return; }
      if (!want) { note.textContent = ""; return; }
      var diff = want - sum;
      note.textContent = diff === 0 ? say("split_adds_up") :
        say(diff > 0 ? "still_to_allocate" : "more_than_requested", {amount: money(Math.abs(diff))});
      note.classList.toggle("error", diff !== 0);
    }
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    document.querySelectorAll("form[data-autosave]").forEach(autosave);
    partnerRows();
    document.querySelectorAll("form[data-budget]").forEach(budget);
  });
})();
