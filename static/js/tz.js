// Tell the server the browser's time zone through the `tz` cookie, once.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }
  var hasCookie = document.cookie.split(/;\s*/).some(function (pair) {
    return pair.indexOf("tz=") === 0;
  });
  if (hasCookie) {
    return;
  }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  if (document.body.dataset.tzSource === "default" && zone !== "UTC") {
    window.location.reload();
  }
})();
