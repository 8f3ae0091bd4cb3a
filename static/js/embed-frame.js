// The iframe page (/embed/sessions/): the server wrote each time in UTC; show it in the
// visitor's zone with UTC beside it, formatted as <copf-sessions> does (from /embed.js).
(function () {
  "use strict";
  var list = document.querySelector("ol.sessions");
  if (!list || !window.customElements) {
    return;
  }
  window.customElements.whenDefined("copf-sessions").then(function (Sessions) {
    var zone = Sessions.visitorZone();
    var lang = list.dataset.lang || document.documentElement.lang;
    list.querySelectorAll("li[data-starts-at]").forEach(function (item) {
      var when = Sessions.describe(item.dataset.startsAt, item.dataset.endsAt, zone, lang);
      item.querySelector("[data-local]").textContent = when.local;
      var utc = item.querySelector("[data-utc]");
      if (when.utc) {
        utc.textContent = "(" + when.utc + ")";
        utc.hidden = false;
      }
    });
  });
})();
