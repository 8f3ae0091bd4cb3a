// The snippet builder on /embed/: as the form changes, rewrite both snippets and the
// previews. Without this script the form GETs the page and the server writes them.
(function () {
  "use strict";
  var form = document.querySelector("form[data-embed-builder]");
  if (!form) {
    return;
  }
  var ROW_PX = Number(form.dataset.frameRow);
  var PADDING_PX = Number(form.dataset.framePadding);

  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/"/g, "&quot;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;");
  }

  function options() {
    var count = parseInt(form.elements.count.value, 10);
    if (!(count >= 1 && count <= 20)) {
      count = 3;
    }
    var chosen = [];
    if (form.elements.series.value) {
      chosen.push(["series", form.elements.series.value]);
    }
    chosen.push(["count", String(count)]);
    chosen.push(["theme", form.elements.theme.value || "auto"]);
    chosen.push(["lang", form.elements.lang.value || "en"]);
    return chosen;
  }

  function update() {
    var chosen = options();
    var attributes = chosen
      .map(function (pair) {
        return " " + pair[0] + '="' + escapeHtml(pair[1]) + '"';
      })
      .join("");
    var query = new URLSearchParams(chosen).toString();
    var frameSrc = form.dataset.frameUrl + "?" + query;
    var count = Number(chosen.find(function (pair) { return pair[0] === "count"; })[1]);
    document.querySelector("[data-snippet=script]").value =
      '<script src="' + escapeHtml(form.dataset.scriptUrl) + '" async></script>\n' +
      "<copf-sessions" + attributes + "></copf-sessions>";
    document.querySelector("[data-snippet=frame]").value =
      '<iframe src="' + escapeHtml(frameSrc) + '" title="' + escapeHtml(form.dataset.frameTitle) +
      '" width="100%" height="' + (PADDING_PX + ROW_PX * count) + '" loading="lazy"></iframe>';

    var preview = document.querySelector("[data-embed-preview]");
    if (preview) {
      preview.removeAttribute("series");
      chosen.forEach(function (pair) {
        preview.setAttribute(pair[0], pair[1]);
      });
    }
    var frame = document.querySelector("[data-embed-preview-frame]");
    if (frame) {
      frame.src = frameSrc;
      frame.height = String(PADDING_PX + ROW_PX * count);
    }
    history.replaceState(null, "", "?" + query);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
