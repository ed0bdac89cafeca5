// Category suggestions while a resident types a proposal (no inline script: strict CSP).
// Without JavaScript the form still works: the server suggests on "Suggest a category" or when
// the category is left on "Suggest one for me".
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  var box = document.getElementById("category-choice");
  if (!form || !box || !window.fetch) { return; }
  var select = form.querySelector("[name=category_id]");
  var note = document.getElementById("category-suggestions");
  var title = form.querySelector("[name=title]");
  var description = form.querySelector("[name=description]");
  var chosenByHand = select.value !== "";
  var timer = null;
  var lastQuery = "";
  var plain = {};
  Array.prototype.forEach.call(select.options, function (option) {
    plain[option.value] = option.textContent.replace(/\s*\(.*\)\s*$/, "");
  });

  select.addEventListener("change", function () { chosenByHand = select.value !== ""; });

  function render(items) {
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value) { option.textContent = plain[option.value] || option.textContent; }
    });
    note.textContent = "";
    if (!items.length) { return; }
    items.forEach(function (item) {
      var option = select.querySelector("option[value='" + item.id + "']");
      if (option) { option.textContent = item.name + " (" + box.dataset.suggested + ")"; }
    });
    note.textContent = box.dataset.heading + " " + items.map(function (item) { return item.name; }).join(", ");
    if (!chosenByHand) { select.value = String(items[0].id); }
  }

  function lookUp() {
    var query = (title.value + " " + title.value + " " + (description ? description.value : "")).trim().slice(0, 4000);
    if (query.length < 2 || query === lastQuery) { return; }
    lastQuery = query;
    fetch(box.dataset.suggestUrl + "?q=" + encodeURIComponent(query),
          {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (data) { render(data.items || []); })
      .catch(function () { /* a suggestion is a help, not a requirement */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 500);
  }

  title.addEventListener("input", schedule);
  if (description) { description.addEventListener("input", schedule); }
}());
