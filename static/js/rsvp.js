// Answer yes / maybe / no in place; without JavaScript the form posts and redirects back.
(function () {
  "use strict";

  function showCount(meeting, body) {
    document.querySelectorAll('[data-coming-count="' + meeting + '"]').forEach(function (count) {
      if (body.coming_text) {
        count.textContent = body.coming_text;
      }
    });
    document.querySelectorAll('[data-coming-names="' + meeting + '"]').forEach(function (list) {
      list.replaceChildren.apply(
        list,
        (body.names || []).map(function (name) {
          var item = document.createElement("li");
          item.textContent = name;
          return item;
        })
      );
      list.hidden = !(body.names && body.names.length);
    });
  }

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
        showCount(form.dataset.meeting, result.body);
      })
      .catch(function () {
        form.submit();
      });
  });

  // A Join button waiting for its time turns into the link when the call opens.
  document.querySelectorAll("[data-join-url][data-opens-at]").forEach(function (waiting) {
    var delay = Date.parse(waiting.dataset.opensAt) - Date.now();
    if (isNaN(delay) || delay > 2147483647) {
      return;
    }
    window.setTimeout(function () {
      var link = document.createElement("a");
      link.className = "button button-join";
      link.href = waiting.dataset.joinUrl;
      link.rel = "noopener";
      link.textContent = waiting.textContent;
      waiting.replaceWith(link);
      var note = link.parentElement.querySelector("[data-join-note]");
      if (note) {
        note.remove();
      }
    }, Math.max(delay, 0));
  });
})();
