// The browser's time zone, told to the server through the `tz` cookie.
//
// A visitor's cookie is set once: it decides the zone of their pages (until they pick
// another with ?tz=), so the first page reloads once in that zone. A member's pages follow
// their profile, so for them the cookie only reports where the device is, kept up to date:
// when it moves to a zone other than the profile's, the page reloads once and the server
// adds the zone banner, which this script shows only if the device is still there.
(function () {
  "use strict";
  var body = document.body;
  var device = browserZone();
  if (!device) {
    return;
  }
  var source = body.dataset.tzSource;
  var cookie = readCookie("tz");

  if (source === "profile" || source === "visit") {
    var changed = !sameZone(cookie, device) && writeCookie("tz", device);
    var banner = document.querySelector("[data-zone-suggestion]");
    // The server read the cookie as it was: show its offer only if it is still true.
    if (banner && sameZone(banner.dataset.deviceZone, device)) {
      banner.hidden = false;
      return;
    }
    if (banner) {
      banner.remove();
    }
    if (
      changed &&
      source === "profile" &&
      !sameZone(device, body.dataset.profileTz) &&
      !sameZone(device, readCookie("tz_keep"))
    ) {
      window.location.reload();
    }
    return;
  }

  if (cookie) {
    return;
  }
  if (writeCookie("tz", device) && source === "default" && device !== "UTC") {
    window.location.reload();
  }

  function browserZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return "";
    }
    return zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) ? zone : "";
  }

  // Browsers name some zones by older names (Chromium says Asia/Calcutta for
  // Asia/Kolkata), so two names are the same zone when the browser resolves them alike.
  function sameZone(one, other) {
    if (!one || !other) {
      return false;
    }
    if (one === other) {
      return true;
    }
    var resolved = resolve(one);
    return resolved !== "" && resolved === resolve(other);
  }

  function resolve(zone) {
    try {
      return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    } catch (error) {
      return "";
    }
  }

  function readCookie(name) {
    var prefix = name + "=";
    var pairs = document.cookie.split(/;\s*/);
    for (var index = 0; index < pairs.length; index += 1) {
      if (pairs[index].indexOf(prefix) === 0) {
        // Django quotes a value with a slash in it: tz="Asia/Tokyo".
        return pairs[index].slice(prefix.length).replace(/^"(.*)"$/, "$1");
      }
    }
    return "";
  }

  // True if the browser kept it: with cookies blocked, reloading would never end.
  function writeCookie(name, value) {
    document.cookie = name + "=" + value + "; path=/; max-age=31536000; samesite=lax";
    return readCookie(name) === value;
  }
})();
