// <copf-sessions>: the coming CoP-F sessions on any site, in the visitor's own time zone
// with UTC beside each time. Served at /embed.js; no dependencies.
//
//   <script src="https://copf.example/embed.js" async></script>
//   <copf-sessions series="cop-f-west" count="3" lang="en" theme="auto"></copf-sessions>
//
// It works under a strict Content-Security-Policy that allows only this script's origin:
// no eval, no inline styles (the styles are a constructed stylesheet adopted by the
// shadow root, which style-src does not govern), and it only fetches from its own origin.
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("copf-sessions")) {
    return;
  }

  var script = document.currentScript;
  var SCRIPT_ORIGIN = script && script.src ? new URL(script.src).origin : location.origin;

  // One small table per language; a missing string falls back to English. `locale` is what
  // Intl formats day and month names in; `day` and `range` put the parts in order.
  var STRINGS = {
    en: {
      locale: "en-GB",
      label: "Upcoming CoP-F sessions",
      loading: "Loading the sessions…",
      error: "Could not load the sessions.",
      errorLink: "See the sessions on the CoP-F site",
      empty: "No sessions are coming up.",
      cancelled: "Cancelled",
      extra: "Extra session",
      seatsOne: "1 seat left",
      seatsOther: "{n} seats left",
      full: "Full",
      fullWaitlist: "Full: join the waiting list",
      addToCalendar: "Add to calendar",
      calendarContext: "{title}, {day} (.ics file)",
      nextDay: "(+1 day)",
      day: "{weekday} {day} {month}",
      when: "{day}, {range}",
    },
  };
  var COUNT_DEFAULT = 3;
  var COUNT_MAX = 20;

  function strings(lang) {
    var base = (lang || "en").toLowerCase();
    var table = STRINGS[base] || STRINGS[base.split("-")[0]] || STRINGS.en;
    return function (key, values) {
      var text = table[key] !== undefined ? table[key] : STRINGS.en[key];
      return text.replace(/\{(\w+)\}/g, function (match, name) {
        return values && values[name] !== undefined ? values[name] : match;
      });
    };
  }

  function visitorZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    } catch (error) {
      return "UTC";
    }
  }

  // The parts of an instant's wall-clock time in a zone.
  function partsIn(date, zone, locale) {
    var parts = {};
    new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .forEach(function (part) {
        parts[part.type] = part.value;
      });
    // The calendar date, to tell whether the end falls on the next day.
    var numeric = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .forEach(function (part) {
        numeric[part.type] = Number(part.value);
      });
    parts.dayNumber = Date.UTC(numeric.year, numeric.month - 1, numeric.day) / 86400000;
    parts.offsetMinutes = Math.round(
      (Date.UTC(numeric.year, numeric.month - 1, numeric.day, numeric.hour % 24, numeric.minute) -
        Math.floor(date.getTime() / 60000) * 60000) /
        60000
    );
    return parts;
  }

  // The zone's English abbreviation where it has one ("PST", "EST", "GMT"), else its offset
  // ("UTC+09", "UTC−03:30"), as the site itself names zones.
  function zoneLabel(date, zone, offsetMinutes) {
    if (zone === "UTC" || zone === "Etc/UTC") {
      return "UTC";
    }
    var name = "";
    new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
      .formatToParts(date)
      .forEach(function (part) {
        if (part.type === "timeZoneName") {
          name = part.value;
        }
      });
    if (/^[A-Z]{2,5}$/.test(name)) {
      return name;
    }
    if (!offsetMinutes) {
      return "UTC";
    }
    var total = Math.abs(offsetMinutes);
    var hours = String(Math.floor(total / 60)).padStart(2, "0");
    var minutes = total % 60 ? ":" + String(total % 60).padStart(2, "0") : "";
    return "UTC" + (offsetMinutes > 0 ? "+" : "\u2212") + hours + minutes;
  }

  // How a session reads in `zone` and in UTC: {local, utc, localDay}; utc is "" in UTC.
  function describe(startsAt, endsAt, zone, lang) {
    var t = strings(lang);
    var locale = t("locale");
    var start = new Date(startsAt);
    var end = new Date(endsAt);

    function line(inZone, withLabel) {
      var from = partsIn(start, inZone, locale);
      var to = partsIn(end, inZone, locale);
      var day = t("day", { weekday: from.weekday, day: from.day, month: from.month });
      var range = from.hour + ":" + from.minute + "\u2013" + to.hour + ":" + to.minute;
      if (to.dayNumber !== from.dayNumber) {
        range += " " + t("nextDay");
      }
      range += " " + (withLabel ? zoneLabel(start, inZone, from.offsetMinutes) : "UTC");
      return { day: day, range: range, dayNumber: from.dayNumber };
    }

    var local = line(zone, true);
    var result = { local: t("when", local), localDay: local.day, utc: "" };
    if (zoneLabel(start, zone, partsIn(start, zone, locale).offsetMinutes) !== "UTC") {
      var utc = line("UTC", false);
      result.utc = utc.dayNumber === local.dayNumber ? utc.range : t("when", utc);
    }
    return result;
  }

  var STYLES =
    ":host{display:block;--ink:#1a1d21;--muted:#4d5662;--accent:#2150b0;--paper:#fff;" +
    "--line:#d8dde4;--cancel:#a4161a;--focus:#c2410c;color:var(--ink);background:var(--paper);" +
    "font:inherit;line-height:1.5}" +
    ":host([hidden]){display:none}" +
    ":host([theme=dark]){--ink:#e6e9ee;--muted:#a7b0bb;--accent:#93b4ff;--paper:#181c22;" +
    "--line:#2f3640;--cancel:#ff9c9c;--focus:#ffb86b}" +
    "@media (prefers-color-scheme:dark){:host([theme=auto]),:host(:not([theme])){" +
    "--ink:#e6e9ee;--muted:#a7b0bb;--accent:#93b4ff;--paper:#181c22;--line:#2f3640;" +
    "--cancel:#ff9c9c;--focus:#ffb86b}}" +
    ".box{padding:.75rem 1rem;border:1px solid var(--line);border-radius:.75rem}" +
    "ol{list-style:none;margin:0;padding:0}" +
    "li{padding:.6rem 0;border-top:1px solid var(--line)}" +
    "li:first-child{border-top:0;padding-top:0}li:last-child{padding-bottom:0}" +
    "p{margin:0}" +
    "a{color:var(--accent);text-underline-offset:.15em}" +
    "a:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:2px}" +
    ".title{font-weight:600}" +
    ".utc,.meta{color:var(--muted);font-size:.9em}" +
    ".meta{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin-top:.2rem}" +
    ".cancelled .title a{text-decoration:line-through}" +
    ".badge{color:var(--cancel);font-weight:600;margin-left:.5rem}" +
    ".status{color:var(--muted)}" +
    ".vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;" +
    "clip:rect(0 0 0 0);white-space:nowrap;border:0}";
  var sheet = null;

  function styles() {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
    }
    return sheet;
  }

  function el(name, attributes, children) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key] !== null && attributes[key] !== undefined) {
        node.setAttribute(key, attributes[key]);
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== "") {
        node.append(child);
      }
    });
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function countOf(value) {
    var count = parseInt(value, 10);
    if (!(count >= 1)) {
      return COUNT_DEFAULT;
    }
    return Math.min(count, COUNT_MAX);
  }

  class CopfSessions extends HTMLElement {
    static get observedAttributes() {
      return ["series", "count", "lang", "origin"];
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.shadowRoot.adoptedStyleSheets = [styles()];
      this.box = el("div", { class: "box", part: "box" });
      this.shadowRoot.append(this.box);
      this.request = 0;
    }

    connectedCallback() {
      this.schedule();
    }

    attributeChangedCallback() {
      this.schedule();
    }

    // Once per task: an upgrade reports each attribute, then the connection.
    schedule() {
      if (this.pending) {
        return;
      }
      this.pending = true;
      var self = this;
      Promise.resolve().then(function () {
        self.pending = false;
        if (self.isConnected) {
          self.load();
        }
      });
    }

    get origin() {
      var origin = this.getAttribute("origin");
      return (origin && safeUrl(origin) && new URL(origin).origin) || SCRIPT_ORIGIN;
    }

    load() {
      var lang = this.getAttribute("lang") || "en";
      var t = strings(lang);
      var query = new URLSearchParams({ page_size: String(countOf(this.getAttribute("count"))) });
      var series = this.getAttribute("series");
      if (series) {
        query.set("series", series);
      }
      var origin = this.origin;
      var request = ++this.request;
      this.box.setAttribute("lang", lang);
      this.box.setAttribute("aria-busy", "true");
      this.box.replaceChildren(el("p", { class: "status", role: "status" }, [t("loading")]));
      var self = this;
      fetch(origin + "/api/v1/meetings/?" + query, {
        headers: { Accept: "application/json" },
        credentials: "omit",
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (request === self.request) {
            self.show(data.results || [], lang, origin);
          }
        })
        .catch(function () {
          if (request === self.request) {
            self.fail(lang, origin);
          }
        });
    }

    show(meetings, lang, origin) {
      var t = strings(lang);
      var zone = visitorZone();
      this.box.removeAttribute("aria-busy");
      if (!meetings.length) {
        this.box.replaceChildren(
          el("p", { class: "status" }, [t("empty"), " "]),
          el("a", { href: origin + "/" }, [t("errorLink")])
        );
        return;
      }
      var items = meetings.map(function (meeting) {
        return sessionItem(meeting, zone, lang);
      });
      this.box.replaceChildren(el("ol", { "aria-label": t("label") }, items));
    }

    fail(lang, origin) {
      var t = strings(lang);
      this.box.removeAttribute("aria-busy");
      this.box.replaceChildren(
        el("p", { class: "status", role: "alert" }, [
          t("error") + " ",
          el("a", { href: origin + "/" }, [t("errorLink")]),
        ])
      );
    }
  }

  function sessionItem(meeting, zone, lang) {
    var t = strings(lang);
    var when = describe(meeting.starts_at, meeting.ends_at, zone, lang);
    var cancelled = meeting.status === "cancelled";
    var title = String(meeting.title || "");
    var page = safeUrl(meeting.url);
    var calendar = safeUrl(meeting.calendar_url);
    var seats = null;
    if (!cancelled && typeof meeting.seats_left === "number") {
      if (meeting.seats_left > 0) {
        seats = meeting.seats_left === 1 ? t("seatsOne") : t("seatsOther", { n: meeting.seats_left });
      } else {
        seats = meeting.waitlist ? t("fullWaitlist") : t("full");
      }
    }
    return el("li", { class: cancelled ? "cancelled" : null }, [
      el("p", { class: "title" }, [
        page ? el("a", { href: page }, [title]) : title,
        cancelled ? el("span", { class: "badge" }, [t("cancelled")]) : null,
      ]),
      el("p", { class: "when" }, [
        el("time", { datetime: meeting.starts_at }, [when.local]),
        when.utc ? " " : null,
        when.utc ? el("span", { class: "utc" }, ["(" + when.utc + ")"]) : null,
      ]),
      el("p", { class: "meta" }, [
        seats ? el("span", { class: "seats" }, [seats]) : null,
        calendar && !cancelled
          ? el("a", { href: calendar }, [
              t("addToCalendar"),
              el("span", { class: "vh" }, [": " + t("calendarContext", { title: title, day: when.localDay })]),
            ])
          : null,
      ]),
    ]);
  }

  // The formatting, for the iframe page (/embed/sessions/), which shows the same times.
  CopfSessions.describe = describe;
  CopfSessions.visitorZone = visitorZone;
  window.customElements.define("copf-sessions", CopfSessions);
})();
