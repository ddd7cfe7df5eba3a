/* Progressive enhancements, loaded from our own static folder (the CSP allows no inline script). */
(function () {
  "use strict";

  // The scripts' words, in the page's language: the page carries them (templates/base.html,
  // app/web/script_messages.py); no English is written here. eurograntsText("key", {name: value}, count) fills in the
  // %(name)s placeholders; with a count, the message's form for it is chosen by the language's rule (and %(num)d is
  // the count).
  var messages = null;
  var pluralRules = null;
  function text(key, values, count) {
    if (messages === null) {
      var block = document.getElementById("script-messages");
      try { messages = block ? JSON.parse(block.textContent) : {}; } catch (error) { messages = {}; }
    }
    var message = messages[key];
    if (message === undefined) { return key; }
    values = values || {};
    if (typeof message !== "string") {
      if (pluralRules === null) {
        pluralRules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "en") : null;
      }
      var form = pluralRules ? pluralRules.select(count) : (count === 1 ? "one" : "other");
      message = message[form] || message.other;
      if (values.num === undefined) { values.num = count; }
    }
    return message.replace(/%\((\w+)\)[sd]/g, function (whole, name) {
      return values[name] === undefined ? whole : String(values[name]);
    });
  }
  window.eurograntsText = text;

  // Money as the page's language writes it (€1,400,000.00 / 1 400 000,00 € / 1.400.000,00 €), like the server.
  window.eurograntsMoney = function (cents) {
    return new Intl.NumberFormat(document.documentElement.lang || "en", {style: "currency", currency: "EUR"})
      .format(cents / 100);
  };

  // Show deadlines in the visitor's own time zone and UTC offset, next to Brussels time.
  function localise() {
    var fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short"
    });
    document.querySelectorAll("time.js-local-only").forEach(function (el) {
      el.textContent = fmt.format(new Date(el.getAttribute("datetime")));
    });
    document.querySelectorAll("time.js-local").forEach(function (el) {
      var local = fmt.format(new Date(el.getAttribute("datetime")));
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = " (" + (el.dataset.zoneLabel || text("your_time")) + ": " + local + ")";
      el.after(note);
    });
  }

  // A table.sortable sorts by a header's button (keyboard and screen readers included); cells may carry data-value.
  function sortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      if (th.dataset.sort === "none" || !th.textContent.trim() || th.querySelector("a, button, input")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var kind = th.dataset.sort || "text";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[index];
          var raw = cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()) : "";
          if (kind === "number") { var n = parseFloat(String(raw).replace(/[^0-9.\-]/g, "")); return isNaN(n) ? -Infinity : n; }
          return raw.toLowerCase();
        }
        rows.sort(function (a, b) {
          var ka = key(a), kb = key(b);
          return (ka < kb ? -1 : ka > kb ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  // Tables marked .stack become one card per row on narrow screens: each cell is labelled with its column's
  // heading, and the table keeps its table semantics through explicit roles (CSS display changes drop them).
  function stackable(table) {
    var labels = [];
    var head = table.tHead ? table.tHead.rows[0] : null;
    if (head) {
      Array.prototype.forEach.call(head.cells, function (th) {
        var text = th.textContent.replace(/\s+/g, " ").trim();
        for (var i = 0; i < (th.colSpan || 1); i++) { labels.push(text); }
      });
    }
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
      Array.prototype.forEach.call(group.rows, function (row) {
        row.setAttribute("role", "row");
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TH") { cell.setAttribute("role", cell.scope === "row" ? "rowheader" : "columnheader"); }
          else {
            cell.setAttribute("role", "cell");
            if (group.tagName === "TBODY" && labels[column] !== undefined) { cell.dataset.label = labels[column]; }
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("stackable");
  }

  // A table too wide for its box scrolls inside it: the box is then a labelled region that takes keyboard focus,
  // so that it can be scrolled with the arrow keys. Recomputed when the window changes size.
  function scrollRegions() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var table = box.querySelector("table");
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        var section = box.closest("section, .panel, main");
        var heading = table && table.caption ? table.caption : section && section.querySelector("h1, h2, h3");
        var name = table && table.getAttribute("aria-label") || (heading ? heading.textContent.replace(/\s+/g, " ").trim() : text("table"));
        box.setAttribute("aria-label", text("scrolls_sideways", {name: name}));
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  // The error summary takes the focus when the page opens (screen readers read it), and its links move the focus
  // to the field itself, its label in view.
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']") || field.closest("fieldset, .field") || field;
      label.scrollIntoView();
      var target = field.matches("input, select, textarea, button") ? field : field.querySelector("input, select, textarea");
      (target || field).focus({preventScroll: true});
    });
  }

  // The header's menu folds away on narrow screens behind a button (without JavaScript it stays open).
  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    var bar = document.querySelector(".topbar");
    if (!toggle || !bar) { return; }
    toggle.hidden = false;
    bar.classList.add("has-menu");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      bar.classList.toggle("is-open", open);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise();
    menu();
    errorSummary();
    document.querySelectorAll("table.sortable").forEach(sortable);
    document.querySelectorAll("table.stack").forEach(stackable);
    scrollRegions();
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; scrollRegions(); });
    });
  });
})();
