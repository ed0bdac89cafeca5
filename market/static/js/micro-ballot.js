// The ballot while the voter ticks: the total against the budget (knapsack ballots), or the number of
// picks against the most allowed, with the remaining boxes disabled once the maximum is reached.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  if (!form) { return; }
  var boxes = function () { return form.querySelectorAll("input[type=checkbox]"); };
  var checked = function () { return form.querySelectorAll("input[type=checkbox]:checked"); };

  var total = document.getElementById("ballot-total");
  if (total && form.dataset.ballotType === "knapsack") {
    var budget = parseInt(form.dataset.budget, 10);
    var yuan = function (cents) { return "¥" + Math.round(cents / 100).toLocaleString(); };
    var updateTotal = function () {
      var sum = 0;
      checked().forEach(function (box) { sum += parseInt(box.dataset.cost || "0", 10); });
      var left = budget - sum;
      total.textContent = form.dataset.totalLabel + " " + yuan(sum) + " · " +
        (left >= 0 ? form.dataset.leftLabel + " " + yuan(left) : form.dataset.overLabel + " " + yuan(-left));
      total.classList.toggle("over", left < 0);
    };
    form.addEventListener("change", updateTotal);
    updateTotal();
  }

  var count = document.getElementById("ballot-count");
  var most = parseInt(form.dataset.maxPicks || "0", 10);
  if (count && most > 0) {
    var updateCount = function () {
      var picked = checked().length;
      var full = picked >= most;
      boxes().forEach(function (box) {
        if (!box.checked && !box.hasAttribute("data-locked")) { box.disabled = full; }
      });
      var text = form.dataset.countLabel.replace("{picked}", picked).replace("{max}", most) +
        (full ? " · " + form.dataset.fullLabel : "");
      if (count.textContent !== text) { count.textContent = text; }  // a live region: speak only changes
      count.classList.toggle("full", full);
    };
    // Boxes disabled by the page itself (voting closed) stay disabled.
    boxes().forEach(function (box) { if (box.disabled) { box.setAttribute("data-locked", ""); } });
    form.addEventListener("change", updateCount);
    updateCount();
  }
}());
