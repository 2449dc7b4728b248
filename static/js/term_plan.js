// While the planner works, ask for its state every two seconds and reload when it is done.
(function () {
  const status = document.getElementById("plan-status");
  if (!status || !status.dataset.poll) return;
  const url = status.dataset.poll;
  function check() {
    fetch(url, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        if (data.state === "queued" || data.state === "solving") {
          setTimeout(check, 2000);
        } else {
          window.location.reload();
        }
      })
      .catch(() => setTimeout(check, 5000));
  }
  setTimeout(check, 2000);
})();
