// File fields with data-max-bytes / data-max-files: the browser refuses too many or too large
// files as soon as they are chosen, so an oversize request never throws the rest of the form away.
(function () {
  "use strict";
  function check(input) {
    var maxBytes = parseInt(input.dataset.maxBytes || "0", 10);
    var maxFiles = parseInt(input.dataset.maxFiles || "0", 10);
    var message = "";
    if (maxFiles && input.files.length > maxFiles) {
      message = input.dataset.tooMany;
    }
    for (var i = 0; i < input.files.length && !message; i++) {
      if (maxBytes && input.files[i].size > maxBytes) {
        message = input.dataset.tooLarge.replace("{name}", input.files[i].name);
      }
    }
    input.setCustomValidity(message);
    if (message) { input.reportValidity(); }
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () { check(input); });
  });
})();
