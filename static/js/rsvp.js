// Answer yes / maybe / no in place; without JavaScript the form posts and redirects back.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-rsvp]") || !window.fetch) {
      return;
    }
    event.preventDefault();
    var button = event.submitter;
    var data = new FormData(form);
    if (button && button.name) {
      data.set(button.name, button.value);
    }
    var status = form.querySelector("[data-rsvp-status]");
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          status.textContent = result.body.error || "Your answer was not saved.";
          return;
        }
        form.querySelectorAll("button[name=response]").forEach(function (choice) {
          choice.setAttribute("aria-pressed", String(choice.value === result.body.response));
        });
        status.textContent = result.body.message;
        var count = document.querySelector("[data-coming-count]");
        if (count && typeof result.body.coming === "number") {
          count.textContent = count.textContent.replace(/^\d+/, String(result.body.coming));
        }
      })
      .catch(function () {
        form.submit();
      });
  });
})();
