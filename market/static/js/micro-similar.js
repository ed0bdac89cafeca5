// Similar-proposal suggestions while a resident types a proposal (no inline script: strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  var box = document.getElementById("similar-suggestions");
  if (!form || !box || !window.fetch) { return; }
  var title = form.querySelector("[name=title]");
  var description = form.querySelector("[name=description]");
  var timer = null;
  var lastQuery = "";

  function render(items) {
    box.textContent = "";
    if (!items.length) { box.hidden = true; return; }
    var heading = document.createElement("p");
    heading.textContent = box.dataset.heading;
    box.appendChild(heading);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      link.target = "_blank";
      link.rel = "noopener";
      li.appendChild(link);
      li.appendChild(document.createTextNode(" · " + item.status_label + " · " + item.supporters + " " + box.dataset.supporters));
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function lookUp() {
    var query = (title.value + " " + (description ? description.value.slice(0, 60) : "")).trim();
    if (query.length < 2 || query === lastQuery) { return; }
    lastQuery = query;
    var url = form.dataset.similarUrl + "?q=" + encodeURIComponent(query);
    if (form.dataset.exclude) { url += "&exclude=" + encodeURIComponent(form.dataset.exclude); }
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (data) { render(data.items || []); })
      .catch(function () { /* suggestions are a help, not a requirement */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 400);
  }

  title.addEventListener("input", schedule);
  if (description) { description.addEventListener("input", schedule); }
  if (title.value) { schedule(); }
}());
