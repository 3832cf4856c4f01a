// Live progress of a reconciliation run: polls the run's progress.json every 2 s while it is active.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !box.dataset.pollUrl) { return; }
  var url = box.dataset.pollUrl;
  function show(data) {
    document.querySelectorAll("[data-progress]").forEach(function (el) {
      var key = el.getAttribute("data-progress");
      if (key in data) { el.textContent = data[key]; }
    });
    var bar = document.querySelector("[data-progress-bar]");
    if (bar) { bar.style.width = data.percent + "%"; }
    if (!data.active) { window.location.reload(); return false; }
    return true;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data === null || show(data)) { window.setTimeout(poll, 2000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
