// "Copy" buttons: copy the text of the field named by data-copy.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    var field = document.querySelector(button.dataset.copy);
    var status = button.parentElement.querySelector("[data-copy-status]");
    field.select();
    var done = function () {
      if (status) {
        status.textContent = "Copied.";
      }
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
