// Live progress of catalog runs: every element with data-run-poll polls its progress.json every 2 s while the
// run is queued or running, fills its [data-progress] children, and reloads the page once the run has finished.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-run-poll]");
  if (!boxes.length) { return; }
  function watch(box) {
    var url = box.getAttribute("data-run-poll");
    function show(data) {
      var scope = box.tagName === "TR" ? box : document;
      scope.querySelectorAll("[data-progress]").forEach(function (el) {
        var key = el.getAttribute("data-progress");
        if (key in data) { el.textContent = data[key]; }
      });
      if (!data.active) { window.location.reload(); return false; }
      return true;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data !== null && show(data)) { window.setTimeout(poll, 2000); } })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 2000);
  }
  boxes.forEach(watch);
})();
