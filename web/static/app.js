// releasebot dashboard: the pages work without this script; it only saves
// a click by applying a filter as soon as it is chosen.
document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
  el.addEventListener("change", function () {
    if (el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  });
});
