// Letter batches: the progress bar follows the batch by polling its JSON endpoint (no inline script: CSP).
(function () {
  "use strict";

  function text(node, value) { if (node) { node.textContent = String(value); } }

  function render(panel, data) {
    var bar = panel.querySelector(".batch-progress");
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.total ? data.processed : 1;
      bar.textContent = data.percent + "%";
    }
    panel.querySelectorAll("[data-field]").forEach(function (node) {
      var key = node.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(data, key)) { text(node, data[key]); }
    });
    var badge = panel.querySelector(".batch-status");
    if (badge) { badge.className = "batch-status badge badge-batch-" + data.status; }
    var errors = panel.querySelector(".batch-errors");
    var list = panel.querySelector(".batch-error-list");
    if (errors && list && data.errors.length) {
      list.replaceChildren.apply(list, data.errors.map(function (error) {
        var item = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = error.proposal;
        item.append(code, ": " + error.message);
        return item;
      }));
      errors.hidden = false;
    }
    var heading = document.querySelector(panel.getAttribute("data-heading") || ".batch-heading");
    if (heading && heading.hasAttribute("data-" + data.status)) { text(heading, heading.getAttribute("data-" + data.status)); }
    var done = panel.querySelector(".batch-done");
    if (done) { done.hidden = !data.finished; }
    panel.setAttribute("data-finished", data.finished ? "true" : "false");
  }

  function poll(panel, url, delay) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        render(panel, data);
        if (!data.finished) { window.setTimeout(function () { poll(panel, url, 700); }, 700); }
      })
      .catch(function () {
        // A network hiccup: try again, more slowly, up to every 10 s.
        var next = Math.min(delay * 2, 10000);
        window.setTimeout(function () { poll(panel, url, next); }, next);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(function (panel) {
      poll(panel, panel.getAttribute("data-progress-url"), 700);
    });
  });
})();
