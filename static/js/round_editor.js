// The round editor's role and scenario fields are inputs offered their choices by one shared
// <datalist> each, so a big cohort's page does not repeat the same options on every row (and
// still posts without JavaScript). Here each becomes a select built from its datalist, with the
// same name, value and accessible name. A value that is not a choice (a typo sent back with an
// error) stays an input, so it can be corrected where it is.
(function () {
  const blanks = { sc: "— none yet —" };

  function selectFor(input, datalist) {
    const select = document.createElement("select");
    select.name = input.name;
    select.setAttribute("aria-labelledby", input.getAttribute("aria-labelledby"));
    if (datalist.id in blanks) select.add(new Option(blanks[datalist.id], ""));
    for (const option of datalist.options) {
      select.add(new Option(option.label || option.value, option.value));
    }
    select.value = input.value;
    return select.value === input.value ? select : null;
  }

  for (const datalist of document.querySelectorAll(".round-editor-form datalist")) {
    for (const input of document.querySelectorAll(`input[list="${datalist.id}"]`)) {
      const select = selectFor(input, datalist);
      if (select) input.replaceWith(select);
    }
  }
})();
