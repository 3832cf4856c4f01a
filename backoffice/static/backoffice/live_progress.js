// Live progress of a long job (an import, an invoice run): polls the box's data-url while data-active is "true",
// writes each JSON value into the box's element of the same data-field, moves the bar, reloads when the job stops.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-progress]");
  if (!box || box.getAttribute("data-active") !== "true") { return; }
  var url = box.getAttribute("data-url");
  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(tick, 5000); return; }
        box.querySelectorAll("[data-field]").forEach(function (el) {
          var key = el.getAttribute("data-field");
          if (key in data) { el.textContent = data[key]; }
        });
        var bar = box.querySelector(".progress > span");
        if (bar) { bar.style.width = data.percent + "%"; }
        if (data.active) { window.setTimeout(tick, 1500); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
