/* cspbss storefront: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  /* Live availability check of a tenant domain prefix (server-side check on submit stays authoritative). */
  function initDomainCheck(input) {
    var url = input.getAttribute("data-domain-check-url");
    var out = document.getElementById(input.getAttribute("data-domain-check-result"));
    if (!url || !out) { return; }
    var seq = 0;
    var check = debounce(function () {
      var prefix = input.value.trim().toLowerCase();
      var mine = ++seq;
      if (!prefix) { out.textContent = ""; out.className = "domain-check"; return; }
      out.textContent = "Checking " + prefix + ".onmicrosoft.com…";
      out.className = "domain-check checking";
      fetch(url + "?prefix=" + encodeURIComponent(prefix), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq) { return; }
          out.textContent = data.message;
          out.className = "domain-check " + (data.available ? "ok" : "bad");
        })
        .catch(function () {
          if (mine !== seq) { return; }
          out.textContent = "Could not check right now; the domain is checked again when you continue.";
          out.className = "domain-check";
        });
    }, 400);
    input.addEventListener("input", check);
    if (input.value) { check(); }
  }

  /* Live order status: poll the JSON endpoint; reload on a change so server-rendered panels appear. */
  function initStatusPoll(el) {
    var url = el.getAttribute("data-status-url");
    var status = el.getAttribute("data-status");
    var finals = ["completed", "failed", "cancelled"];
    if (!url || finals.indexOf(status) >= 0) { return; }
    var badge = el.querySelector("[data-status-badge]");
    var holdReload = !!document.querySelector("[data-credentials]");
    var timer = setInterval(function () {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.status === status) { return; }
          status = data.status;
          if (badge) { badge.textContent = data.status_display; badge.className = "badge " + data.status; }
          if (finals.indexOf(status) >= 0) { clearInterval(timer); }
          /* The one-time credentials panel must not vanish under the user's eyes: update in place instead. */
          if (!holdReload) { window.location.reload(); }
          else {
            var note = document.getElementById("status-note");
            if (note) { note.textContent = "Status changed to " + data.status_display + ". Reload the page once you have saved the credentials."; }
          }
        })
        .catch(function () { /* transient; try again on the next tick */ });
    }, 3000);
  }

  /* A second click on a submit button while the first request runs does nothing (the server dedupes too). */
  function initSubmitOnce(form) {
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-domain-check-url]").forEach(initDomainCheck);
    document.querySelectorAll("[data-status-url]").forEach(initStatusPoll);
    document.querySelectorAll("form[data-submit-once]").forEach(initSubmitOnce);
  });
})();
