// The menu button on narrow screens: shows and hides the navigation, says which it is.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      button.setAttribute("aria-expanded", "false");
      menu.classList.remove("open");
      button.focus();
    }
  });
})();

// Text boxes with a length limit show how much is left ("12 / 2000"); screen readers hear it only
// near the limit, not at every key press.
(function () {
  "use strict";
  document.querySelectorAll("textarea[maxlength]").forEach(function (box) {
    var most = parseInt(box.getAttribute("maxlength"), 10);
    if (!most) { return; }
    var counter = document.createElement("small");
    counter.className = "char-count";
    counter.id = (box.id || box.name) + "-count";
    box.insertAdjacentElement("afterend", counter);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    var update = function () {
      var used = box.value.length;
      counter.textContent = used + " / " + most;
      var near = used >= most * 0.9;
      counter.classList.toggle("near", near);
      if (near) { counter.setAttribute("aria-live", "polite"); } else { counter.removeAttribute("aria-live"); }
    };
    box.addEventListener("input", update);
    update();
  });
})();

// After a form was refused, focus goes to its summary (which links to each field to correct), not
// to the top of the page.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
