/* Ranking and selection: reorder a residual tie with buttons, keep a run to the options shown. No inline script (CSP). */
(function () {
  "use strict";

  // The tie form keeps a plain textarea (works without JavaScript); with it, the officer moves rows up and down.
  function tieOrder(list) {
    var field = document.getElementById(list.dataset.target);
    if (!field) { return; }
    function lines() {
      return field.value.split(/[\n,]+/).map(function (s) { return s.trim(); }).filter(Boolean);
    }
    function render() {
      var items = lines();
      list.innerHTML = "";
      items.forEach(function (reference, index) {
        var li = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = reference;
        li.appendChild(code);
        [["up", "↑", -1], ["down", "↓", 1]].forEach(function (spec) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button small secondary move-" + spec[0];
          button.textContent = spec[1];
          button.setAttribute("aria-label", window.eurograntsText(spec[0] === "up" ? "move_up" : "move_down",
                                                                  {reference: reference}));
          var target = index + spec[2];
          button.disabled = target < 0 || target >= items.length;
          button.addEventListener("click", function () {
            var moved = lines();
            var tmp = moved[index]; moved[index] = moved[target]; moved[target] = tmp;
            field.value = moved.join("\n");
            render();
            var again = list.querySelectorAll("li")[target];
            if (again) { again.querySelector(".move-" + spec[0]) && again.querySelector("code").focus(); }
          });
          li.appendChild(button);
        });
        list.appendChild(li);
      });
    }
    field.addEventListener("input", render);
    list.classList.add("is-active");
    render();
  }

  // The run form carries the options of the ranking shown. Once the officer changes the option controls, running
  // would use other options than the ones on the screen: the run waits until the changed options are previewed.
  function runGuard(optionsForm) {
    var button = document.getElementById("run-button");
    var warning = document.getElementById("run-options-changed");
    if (!button || !warning) { return; }
    var wasDisabled = button.disabled;
    function state() {
      return Array.prototype.map.call(optionsForm.elements, function (element) {
        if (!element.name) { return ""; }
        if (element.type === "checkbox") { return element.name + "=" + element.checked; }
        return element.name + "=" + element.value;
      }).join("&");
    }
    var shown = state();
    function update() {
      var changed = state() !== shown;
      warning.hidden = !changed;
      button.disabled = wasDisabled || changed;
      if (button.disabled) { button.setAttribute("aria-disabled", "true"); } else { button.removeAttribute("aria-disabled"); }
    }
    optionsForm.addEventListener("input", update);
    optionsForm.addEventListener("change", update);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("ol.tie-order[data-target]").forEach(tieOrder);
    var optionsForm = document.getElementById("options-form");
    if (optionsForm) { runGuard(optionsForm); }
  });
})();
