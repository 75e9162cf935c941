/* Household apartment-type choice: the chosen area and its difference from the
   entitlement, recomputed as the numbers change (the server checks them again). */
(function () {
  var form = document.getElementById("demand-form");
  if (!form) { return; }
  var labels = form.dataset;
  function cents(text) { return Math.round(parseFloat(text) * 100); }
  function update() {
    var total = 0;
    form.querySelectorAll("input[data-area]").forEach(function (input) {
      var n = parseInt(input.value, 10);
      if (n > 0) { total += cents(input.dataset.area) * n; }
    });
    var diff = total - cents(document.getElementById("entitlement").dataset.area);
    var cap = cents(document.getElementById("cap").dataset.area);
    document.getElementById("chosen").textContent = (total / 100).toFixed(2);
    document.getElementById("difference").textContent = (diff / 100).toFixed(2);
    document.getElementById("fit").textContent = diff > cap ? labels.overCap : diff > 0 ? labels.over : diff < 0 ? labels.under : labels.within;
  }
  form.addEventListener("input", update);
})();
