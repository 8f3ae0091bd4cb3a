// A "Search cities" box above each zone picker (copf.lib.timezones.TimezoneSelect).
//
// The <select> stays the control that is sent and read by screen readers; the box only
// narrows its options as one types, and says how many match in a polite live region.
// Typing "sao" finds "Sao Paulo", "new" finds "New York", "asia/" the zones of Asia.
(function () {
  "use strict";
  var pickers = document.querySelectorAll("select[data-zone-picker]");
  Array.prototype.forEach.call(pickers, enhance);

  function fold(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/_/g, " ")
      .toLowerCase();
  }

  function enhance(select, index) {
    var all = Array.prototype.slice.call(select.options);
    var keys = all.map(function (option) {
      return fold(option.text + " " + option.value);
    });
    var base = select.id || "zone-picker-" + index;

    var box = document.createElement("div");
    box.className = "zone-filter";
    var label = document.createElement("label");
    label.htmlFor = base + "-filter";
    label.textContent = select.dataset.filterLabel;
    var input = document.createElement("input");
    input.type = "search";
    input.id = base + "-filter";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("span");
    status.className = "zone-filter-status";
    status.id = base + "-filter-status";
    status.setAttribute("role", "status");
    input.setAttribute("aria-describedby", status.id);
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    // In the zone bar's one-line form the box comes first, before "Show times in";
    // in a form of stacked fields it sits between the field's label and the list.
    var inline = select.form && select.form.classList.contains("zone-picker");
    if (inline) {
      select.form.insertBefore(box, select.form.firstChild);
    } else {
      select.parentNode.insertBefore(box, select);
    }

    var announce = null;
    input.addEventListener("input", function () {
      var query = fold(input.value.trim());
      var chosen = select.value;
      var matches = all.filter(function (option, position) {
        return keys[position].indexOf(query) !== -1;
      });
      // The select is never empty: with no match it keeps the current choice.
      var shown = matches.length ? matches : all.filter(function (option) {
        return option.value === chosen;
      });
      var list = document.createDocumentFragment();
      shown.forEach(function (option) {
        list.appendChild(option);
      });
      select.textContent = "";
      select.appendChild(list);
      select.value = chosen;
      if (select.selectedIndex === -1) {
        select.selectedIndex = 0;
      }
      // Announced once typing pauses, not for every letter.
      window.clearTimeout(announce);
      announce = window.setTimeout(function () {
        status.textContent = query ? describe(select, matches.length) : "";
      }, 400);
    });

    // Enter would send the whole form from the box; it moves to the list instead.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function describe(select, count) {
    if (count === 0) {
      return select.dataset.matchesNone;
    }
    var text = count === 1 ? select.dataset.matchesOne : select.dataset.matchesOther;
    return text.replace("%(count)s", String(count));
  }
})();
