/*
 * The series admin's recurrence builder (templates/admin/meetings/series/rrule_builder.html).
 *
 * Its controls write the RRULE text field, and the text is read back into them whenever it
 * changes. A rule the controls cannot show is a "custom rule": the builder then leaves the
 * text alone until the organizer asks it to replace the rule. The server validates every rule
 * (meetings/recurrence.py); this file only edits text, and without it the field works alone.
 */
(function () {
  "use strict";

  var WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
  var FREQUENCIES = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
  var BUILDER_PARTS = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"];
  var ORDINAL_WEEKDAY = /^([+-]?\d{1,2})(MO|TU|WE|TH|FR|SA|SU)$/;

  function wholeNumber(text, low, high) {
    if (!/^\d+$/.test(text)) {
      return null;
    }
    var number = Number(text);
    return number >= low && number <= high ? number : null;
  }

  /* The rule's NAME=VALUE parts, or null if it is not a list of them. */
  function splitRule(text) {
    var rule = text.trim().toUpperCase();
    if (rule.indexOf("RRULE:") === 0) {
      rule = rule.slice("RRULE:".length);
    }
    var parts = {};
    var pieces = rule.split(";");
    for (var i = 0; i < pieces.length; i += 1) {
      if (!pieces[i]) {
        continue;
      }
      var equals = pieces[i].indexOf("=");
      var name = pieces[i].slice(0, equals).trim();
      var value = pieces[i].slice(equals + 1).trim();
      if (equals < 1 || !value || Object.prototype.hasOwnProperty.call(parts, name)) {
        return null;
      }
      parts[name] = value;
    }
    return parts;
  }

  /* The controls' state for a rule, or null when they cannot show it. */
  function parseRule(text, positions) {
    var parts = splitRule(text);
    if (parts === null || FREQUENCIES.indexOf(parts.FREQ) === -1) {
      return null;
    }
    var names = Object.keys(parts);
    for (var i = 0; i < names.length; i += 1) {
      if (BUILDER_PARTS.indexOf(names[i]) === -1) {
        return null;
      }
    }
    var state = {
      freq: parts.FREQ,
      interval: 1,
      weekdays: [],
      monthly: "start",
      position: positions[0],
      positionDay: "MO",
      monthday: 1,
      end: "never",
      count: null,
      until: "",
    };
    if ("INTERVAL" in parts) {
      state.interval = wholeNumber(parts.INTERVAL, 1, 400);
      if (state.interval === null) {
        return null;
      }
    }
    if (!readDays(parts, state, positions) || !readEnd(parts, state)) {
      return null;
    }
    return state;
  }

  function readDays(parts, state, positions) {
    var byday = parts.BYDAY;
    var bymonthday = parts.BYMONTHDAY;
    if (state.freq === "WEEKLY" && byday && !bymonthday) {
      var days = byday.split(",");
      var known = days.every(function (day) {
        return WEEKDAYS.indexOf(day) !== -1;
      });
      if (!known || new Set(days).size !== days.length) {
        return false;
      }
      state.weekdays = days;
      return true;
    }
    if (state.freq === "MONTHLY" && byday && !bymonthday) {
      var match = ORDINAL_WEEKDAY.exec(byday);
      if (match === null || positions.indexOf(String(Number(match[1]))) === -1) {
        return false;
      }
      state.monthly = "position";
      state.position = String(Number(match[1]));
      state.positionDay = match[2];
      return true;
    }
    if (state.freq === "MONTHLY" && bymonthday && !byday) {
      if (bymonthday === "-1") {
        state.monthly = "lastday";
        return true;
      }
      state.monthly = "monthday";
      state.monthday = wholeNumber(bymonthday, 1, 31);
      return state.monthday !== null;
    }
    return !byday && !bymonthday;
  }

  function readEnd(parts, state) {
    if ("COUNT" in parts && "UNTIL" in parts) {
      return false;
    }
    if ("COUNT" in parts) {
      state.end = "count";
      state.count = wholeNumber(parts.COUNT, 1, 10000);
      return state.count !== null;
    }
    if ("UNTIL" in parts) {
      // Only a date: an UNTIL with a time of day is kept as a custom rule.
      var date = /^(\d{4})(\d{2})(\d{2})$/.exec(parts.UNTIL);
      if (date === null) {
        return false;
      }
      state.end = "until";
      state.until = date[1] + "-" + date[2] + "-" + date[3];
    }
    return true;
  }

  /* RRULE text for the controls' state, in the order FREQ, INTERVAL, BYDAY/BYMONTHDAY, end. */
  function composeRule(state) {
    var parts = ["FREQ=" + state.freq];
    if (state.interval > 1) {
      parts.push("INTERVAL=" + state.interval);
    }
    if (state.freq === "WEEKLY" && state.weekdays.length) {
      var days = WEEKDAYS.filter(function (day) {
        return state.weekdays.indexOf(day) !== -1;
      });
      parts.push("BYDAY=" + days.join(","));
    }
    if (state.freq === "MONTHLY" && state.monthly === "position") {
      parts.push("BYDAY=" + state.position + state.positionDay);
    } else if (state.freq === "MONTHLY" && state.monthly === "monthday") {
      parts.push("BYMONTHDAY=" + state.monthday);
    } else if (state.freq === "MONTHLY" && state.monthly === "lastday") {
      parts.push("BYMONTHDAY=-1");
    }
    if (state.end === "count" && state.count) {
      parts.push("COUNT=" + state.count);
    } else if (state.end === "until" && state.until) {
      parts.push("UNTIL=" + state.until.replace(/-/g, ""));
    }
    return parts.join(";");
  }

  function setUp(builder) {
    var input = document.getElementById(builder.getAttribute("data-rrule-builder"));
    if (input === null) {
      return;
    }
    var find = function (selector) {
      return builder.querySelector(selector);
    };
    var controls = find("[data-rrule-controls]");
    var custom = find("[data-rrule-custom]");
    var freq = find("[data-rrule-freq]");
    var interval = find("[data-rrule-interval]");
    var unit = find("[data-rrule-unit]");
    var weekdays = Array.prototype.slice.call(builder.querySelectorAll("[data-rrule-weekday]"));
    var monthly = find("[data-rrule-monthly]");
    var position = find("[data-rrule-position]");
    var positionDay = find("[data-rrule-position-day]");
    var monthday = find("[data-rrule-monthday]");
    var end = find("[data-rrule-end]");
    var count = find("[data-rrule-count]");
    var until = find("[data-rrule-until]");
    var positions = Array.prototype.map.call(position.options, function (option) {
      return option.value;
    });

    function readControls() {
      return {
        freq: freq.value,
        interval: wholeNumber(interval.value, 1, 400) || 1,
        weekdays: weekdays
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return box.value;
          }),
        monthly: monthly.value,
        position: position.value,
        positionDay: positionDay.value,
        monthday: wholeNumber(monthday.value, 1, 31) || 1,
        end: end.value,
        count: wholeNumber(count.value, 1, 10000),
        until: until.value,
      };
    }

    function showControls(state) {
      freq.value = state.freq;
      interval.value = String(state.interval);
      weekdays.forEach(function (box) {
        box.checked = state.weekdays.indexOf(box.value) !== -1;
      });
      monthly.value = state.monthly;
      position.value = state.position;
      positionDay.value = state.positionDay;
      monthday.value = String(state.monthday);
      end.value = state.end;
      if (state.count !== null) {
        count.value = String(state.count);
      }
      until.value = state.until;
      showRelevant();
    }

    // Only the controls that matter for the chosen frequency and options are shown.
    function showRelevant() {
      var option = freq.options[freq.selectedIndex];
      var plural = (wholeNumber(interval.value, 1, 400) || 1) > 1;
      unit.textContent = option.getAttribute(plural ? "data-other" : "data-one");
      toggle("[data-rrule-show]", "data-rrule-show", freq.value);
      toggle("[data-rrule-monthly-show]", "data-rrule-monthly-show", monthly.value);
      toggle("[data-rrule-end-show]", "data-rrule-end-show", end.value);
    }

    function toggle(selector, attribute, value) {
      builder.querySelectorAll(selector).forEach(function (element) {
        element.hidden = element.getAttribute(attribute) !== value;
      });
    }

    function showCustom(isCustom) {
      custom.hidden = !isCustom;
      controls.hidden = isCustom;
    }

    function writeRule() {
      showRelevant();
      input.value = composeRule(readControls());
    }

    function readRule() {
      if (!input.value.trim()) {
        showCustom(false); // an emptied field waits for the controls or for typing
        return;
      }
      var state = parseRule(input.value, positions);
      showCustom(state === null);
      if (state !== null) {
        showControls(state);
      }
    }

    controls.addEventListener("input", writeRule);
    controls.addEventListener("change", writeRule);
    input.addEventListener("input", readRule);
    find("[data-rrule-replace]").addEventListener("click", function () {
      showCustom(false);
      writeRule();
      freq.focus();
    });
    if (input.value.trim()) {
      readRule();
    } else {
      writeRule(); // a new series starts from what the controls show
    }
    builder.hidden = false;
  }

  document.querySelectorAll("[data-rrule-builder]").forEach(setUp);
})();
