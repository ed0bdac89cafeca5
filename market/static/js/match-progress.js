/* Polls a matching run's status and moves its progress bar; reloads the page when the run ends, and
   says so in a polite live region.
   Loaded as a static file (no inline script, for the Content-Security-Policy). */
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var note = box.querySelector("[data-role=note]");
  var percent = box.querySelector("[data-role=percent]");
  var live = document.getElementById("run-live");

  function show(data) {
    var value = Math.max(0, Math.min(100, parseInt(data.progress, 10) || 0));
    if (bar) { bar.className = "progress-bar pct-" + (Math.floor(value / 5) * 5); }
    if (meter) { meter.setAttribute("aria-valuenow", String(value)); }
    if (note) { note.textContent = data.note || ""; }
    if (percent) { percent.textContent = String(value); }
  }

  // Said once, politely, when polling starts: the page will change without the reader asking.
  function announce() {
    if (live && !live.textContent) { live.textContent = live.getAttribute("data-message") || ""; }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        show(data);
        if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(announce, 500);
  window.setTimeout(poll, 1000);
}());
