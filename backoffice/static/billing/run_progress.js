// Live progress of a billing invoice run: polls the run's JSON endpoint and updates the page; reloads when the job stops.
(function () {
  "use strict";
  var box = document.getElementById("billing-run-progress");
  if (!box || box.getAttribute("data-active") !== "true") { return; }
  var url = box.getAttribute("data-url");
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = value; }
  }
  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(tick, 5000); return; }
        ["status_label", "done", "total"].forEach(function (k) { set(k, data[k]); });
        var bar = box.querySelector(".progress > span");
        if (bar) { bar.style.width = data.percent + "%"; }
        if (data.active) { window.setTimeout(tick, 1500); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
