/* The proposal checklist, live: while the applicant types, the rules this page holds the data for (mandatory
   fields, the duration range, the number of partners and of distinct countries, the organisation types) are checked again in the page,
   their checklist items turn green or red, and the field itself is flagged (aria-invalid and a message tied to it).
   The limits are the server's own, rendered into data- attributes of the checklist items; the wording is the
   server's (app/queries/eligibility.py). Saving still runs the server's checklist, which stays the authority. */
(function () {
  "use strict";

  var say = window.eurograntsText;

  function number(text) {
    return text === undefined || text === "" ? null : parseInt(text, 10);
  }

  function filled(form, name) {
    var field = form.elements.namedItem(name);
    return field ? field.value.trim() !== "" : true;
  }

  // The rules that a section's fields decide; each returns {ok, fix, fields: {name: message}} or null when the
  // page does not hold what the rule needs.
  var RULES = {
    mandatory_fields: function (form, item) {
      if (!form.elements.namedItem("title")) { return null; }
      var empty = say("fill_in_field");
      var missing = [], fields = {};
      [["acronym", "acronym"], ["title", "title"], ["abstract", "abstract"], ["strand", null],
       ["duration_months", "duration"]].forEach(function (spec) {
        if (!filled(form, spec[0])) {
          var label = spec[1] ? say(spec[1]) : (item.dataset.strandLabel || "").toLowerCase();
          missing.push(label);
          fields[spec[0]] = empty;
        }
      });
      return {ok: !missing.length, fix: missing.length ? say("fill_in", {fields: missing.join(", ")}) : "", fields: fields};
    },
    duration: function (form, item) {
      var field = form.elements.namedItem("duration_months");
      if (!field) { return null; }
      var low = number(item.dataset.min), high = number(item.dataset.max);
      var text = field.value.trim();
      var months = /^\d+$/.test(text) ? parseInt(text, 10) : null;
      var ok = months !== null && (low === null || months >= low) && (high === null || months <= high);
      var fix = ok ? "" : (months === null ? say("give_duration") : say("duration_outside", {}, months));
      return {ok: ok, fix: fix, fields: ok || months === null ? {} : {duration_months: fix}};
    },
    grant_cap: function (form, item) {
      var field = form.elements.namedItem("requested_grant");
      if (!field || !window.eurograntsCents) { return null; }
      var requested = window.eurograntsCents(field.value), cap = item.dataset.max ? window.eurograntsCents(item.dataset.max) : null;
      if (isNaN(requested)) { return null; }  // not an amount yet: the server says why on saving
      if (field.value.trim() === "") { return {ok: false, fix: say("give_grant"), fields: {}}; }
      if (requested <= 0) { return {ok: false, fix: say("grant_above_zero"), fields: {requested_grant: say("grant_above_zero")}}; }
      if (cap !== null && requested > cap) {
        var fix = say("reduce_request", {excess: window.eurograntsMoney(requested - cap)});
        return {ok: false, fix: fix, fields: {requested_grant: fix}};
      }
      return {ok: true, fix: "", fields: {}};
    },
    min_partners: function (form, item) {
      var partners = consortium(form);
      if (!partners) { return null; }
      var needed = number(item.dataset.min), count = partners.count;
      var ok = count >= needed;
      return {ok: ok, fix: ok ? "" : say("add_partners", {count: count}, needed - count), fields: {}};
    },
    min_countries: function (form, item) {
      var partners = consortium(form);
      if (!partners) { return null; }
      var needed = number(item.dataset.min), count = partners.countries;
      var ok = count >= needed;
      return {ok: ok, fix: ok ? "" : say("add_countries", {countries: say("countries", {}, count)}, needed - count),
        fields: {}};
    },
    // The call's organisation types, for the coordinator and every partner row; the sentence is the server's, in
    // the page's language, with {partner} and {type} to fill in.
    organisation_types: function (form, item) {
      var table = form.querySelector("[data-partners]");
      if (!table || !item.dataset.allowed) { return null; }
      var allowed = item.dataset.allowed.split(" ");
      var sentence = item.dataset.partnerFix || "{partner}: {type}";
      var wrong = [];
      function wrongType(name, type) { return sentence.replace("{partner}", name).replace("{type}", type); }
      if (table.dataset.coordinatorType && allowed.indexOf(table.dataset.coordinatorType) < 0) {
        wrong.push(wrongType(table.dataset.coordinatorName || "", table.dataset.coordinatorTypeLabel || ""));
      }
      table.querySelectorAll("tr.partner-row").forEach(function (row, index) {
        var name = row.querySelector("[name$='-name']"), type = row.querySelector("[name$='-organisation_type']");
        var removed = row.querySelector("[name$='-remove']");
        if (!type || !type.value || (removed && removed.checked)) { return; }
        if (allowed.indexOf(type.value) < 0) {
          wrong.push(wrongType((name && name.value.trim()) || "#" + (index + 2), type.options[type.selectedIndex].text));
        }
      });
      return {ok: !wrong.length, fix: wrong.length ? wrong.join("; ") + "." : "", fields: {}};
    }
  };

  // The consortium as the page holds it: the coordinator and every row that is neither blank nor removed.
  function consortium(form) {
    var table = form.querySelector("[data-partners]");
    if (!table) { return null; }
    var count = 1, countries = {};
    if (table.dataset.coordinatorCountry) { countries[table.dataset.coordinatorCountry] = true; }
    table.querySelectorAll("tr.partner-row").forEach(function (row) {
      var values = ["name", "country", "organisation_type", "contact_email"].map(function (part) {
        var input = row.querySelector("[name$='-" + part + "']");
        return input ? input.value.trim() : "";
      });
      var removed = row.querySelector("[name$='-remove']");
      if ((removed && removed.checked) || !values.some(Boolean)) { return; }
      count += 1;
      if (values[1]) { countries[values[1]] = true; }
    });
    return {count: count, countries: Object.keys(countries).length};
  }

  function setItem(item, result) {
    item.classList.toggle("check-ok", result.ok);
    item.classList.toggle("check-bad", !result.ok);
    item.querySelector(".check-mark").textContent = result.ok ? "✓" : "✗";
    item.querySelector(".check-text .visually-hidden").textContent = (result.ok ? say("passed") : say("to_fix")) + " ";
    var fix = item.querySelector(".check-fix");
    if (!result.ok && !fix) {
      fix = document.createElement("span");
      fix.className = "check-fix";
      item.querySelector(".check-text").appendChild(fix);
    }
    if (fix) {
      var link = fix.querySelector("a");
      fix.textContent = result.fix;
      if (link && !result.ok) { fix.appendChild(document.createTextNode(" ")); fix.appendChild(link); }
      fix.hidden = result.ok;
    }
  }

  // The field's own messages about the checklist's rules (data-check-message) are the page's to keep current.
  function flagField(form, name, messages) {
    var field = form.elements.namedItem(name);
    if (!field || !field.id) { return; }
    var box = document.getElementById(field.id + "-error");
    if (!box && messages.length) {
      box = document.createElement("div");
      box.className = "field-messages";
      box.id = field.id + "-error";
      field.insertAdjacentElement("afterend", box);
    }
    if (box) {
      box.querySelectorAll("[data-check-message]").forEach(function (old) { old.remove(); });
      messages.forEach(function (message) {
        var p = document.createElement("p");
        p.className = "error to-fix";
        p.setAttribute("data-check-message", "");
        p.textContent = message;
        box.appendChild(p);
      });
    }
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var hasMessages = box && box.querySelector("p");
    if (hasMessages && described.indexOf(box.id) === -1) { described.push(box.id); }
    if (!hasMessages) { described = described.filter(function (id) { return !box || id !== box.id; }); }
    if (described.length) { field.setAttribute("aria-describedby", described.join(" ")); } else { field.removeAttribute("aria-describedby"); }
    if (hasMessages) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
    var wrapper = field.closest(".field");
    if (wrapper) { wrapper.classList.toggle("has-error", Boolean(hasMessages)); }
  }

  function live(panel, form) {
    var status = panel.querySelector("[data-checklist-status]");
    var count = panel.querySelector(".checklist-count");
    var summary = panel.querySelector("[data-checklist-summary]");
    var fieldNames = ["acronym", "title", "abstract", "strand", "duration_months", "requested_grant"];

    function update(announce) {
      var messages = {};
      var changed = [];
      Object.keys(RULES).forEach(function (key) {
        var item = panel.querySelector("li[data-check='" + key + "']");
        if (!item) { return; }
        var result = RULES[key](form, item);
        if (!result) { return; }
        // Announced when the item changes: passed, to fix, or another thing to fix (the latest word wins).
        var was = item.classList.contains("check-ok") ? "" : (item.querySelector(".check-fix") || {}).textContent;
        setItem(item, result);
        if (was !== (result.ok ? "" : result.fix)) {
          var label = item.querySelector(".check-label").textContent.trim();
          changed.push(result.ok ? say("item_passed", {label: label}) : say("item_to_fix", {label: label, fix: result.fix}));
        }
        Object.keys(result.fields).forEach(function (name) { (messages[name] = messages[name] || []).push(result.fields[name]); });
      });
      fieldNames.forEach(function (name) { flagField(form, name, messages[name] || []); });
      var items = panel.querySelectorAll("li[data-check]");
      var passed = panel.querySelectorAll("li[data-check].check-ok").length;
      if (count) { count.textContent = passed + "/" + items.length; }
      if (summary) { summary.textContent = say("checked_as_you_type"); }
      if (announce && changed.length && status) { status.textContent = changed.join(" "); }
    }
    form.addEventListener("input", function () { update(true); });
    form.addEventListener("change", function () { update(true); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("checklist");
    var form = document.querySelector("form.section-form");
    if (panel && form && !form.querySelector("fieldset[disabled]")) { live(panel, form); }
  });
})();
