// Knapsack ballots: show the total of the ticked projects against the budget while the voter ticks.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var out = document.getElementById("ballot-total");
  if (!form || !out || form.dataset.ballotType !== "knapsack") { return; }
  var budget = parseInt(form.dataset.budget, 10);
  var yuan = function (cents) { return "¥" + Math.round(cents / 100).toLocaleString(); };

  function update() {
    var total = 0;
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      total += parseInt(box.dataset.cost || "0", 10);
    });
    var left = budget - total;
    out.textContent = form.dataset.totalLabel + " " + yuan(total) + " · " +
      (left >= 0 ? form.dataset.leftLabel + " " + yuan(left) : form.dataset.overLabel + " " + yuan(-left));
    out.classList.toggle("over", left < 0);
  }

  form.addEventListener("change", update);
  update();
}());
