// Preselect the browser's own time zone in a sign-up form's zone select (marked data-guess-zone
// by the server only while the form is unsubmitted). Without the Intl API, or when the browser's
// zone is not offered, the server's choice (such as the cohort's zone) stays.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("select[data-guess-zone]").forEach(function (select) {
    var offered = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (offered) select.value = zone;
  });
})();
