// Autosave for feedback forms: a moment after typing stops (and when the tab is hidden), the
// form is posted to its draft endpoint with the CSRF token it already carries. The server keeps
// what is valid and says which answers it could not keep. Without JavaScript the "Save draft"
// button does the same, so nothing depends on this script.
(function () {
  var form = document.getElementById("feedback-form");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var timer = null;
  var dirty = false;

  function show(text) {
    if (status) status.textContent = text;
  }

  function save() {
    timer = null;
    if (!dirty) return;
    dirty = false;
    var data = new FormData(form);
    data.delete("action");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      keepalive: true,
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok || !body.saved) {
            show(body.error || "Not saved: use “Save draft”.");
            return;
          }
          var problems = Object.keys(body.errors || {});
          show(
            "Draft saved at " + body.saved_at +
              (problems.length ? " (except " + problems.length + " answer(s) that need another look)." : ".")
          );
        });
      })
      .catch(function () {
        dirty = true;
        show("Not saved (offline?). It will be tried again; “Save draft” works too.");
      });
  }

  function later() {
    dirty = true;
    show("Saving…");
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save();
  });
  window.addEventListener("pagehide", save);
})();
