/* Progressive enhancements, loaded from our own static folder (the CSP allows no inline script). */
(function () {
  "use strict";

  // Show deadlines in the visitor's own time zone and UTC offset, next to Brussels time.
  function localise() {
    var fmt = new Intl.DateTimeFormat(undefined, {
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
      note.textContent = " (" + (el.dataset.zoneLabel || "your time") + ": " + local + ")";
      el.after(note);
    });
  }

  // Click a header to sort a table.sortable; cells may carry data-value for a sort key.
  function sortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      th.setAttribute("tabindex", "0");
      function sort() {
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
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise();
    document.querySelectorAll("table.sortable").forEach(sortable);
  });
})();
