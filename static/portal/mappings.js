// Mapping editor: show the inputs of the chosen rule kind and preview source, and close an
// inline rule form on Cancel. Works on forms htmx swaps in later, through event delegation.
(function () {
  "use strict";

  function showModes(form) {
    var checked = form.querySelector('input[name="mode"]:checked');
    if (!checked) return;
    form.querySelectorAll("[data-mode]").forEach(function (part) {
      var modes = part.getAttribute("data-mode").split(" ");
      part.hidden = modes.indexOf(checked.value) === -1;
    });
  }

  function showPreviewSource(form) {
    var checked = form.querySelector('input[name="source"]:checked');
    if (!checked) return;
    form.querySelectorAll("[data-preview]").forEach(function (part) {
      part.hidden = part.getAttribute("data-preview") !== checked.value;
    });
  }

  function refresh(root) {
    root.querySelectorAll("form.field-form").forEach(showModes);
    root.querySelectorAll("#preview form").forEach(showPreviewSource);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) return;
    if (event.target.name === "mode") showModes(form);
    if (event.target.name === "source") showPreviewSource(form);
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-cancel]");
    var row = cancel && cancel.closest("tr.editing");
    if (row) {
      event.preventDefault();
      row.remove();
    }
    // A second Edit on the same field replaces its open form instead of adding another.
    var edit = event.target.closest("[data-edit]");
    var open = edit && edit.closest("tr").nextElementSibling;
    if (open && open.classList.contains("editing")) open.remove();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    refresh(event.target.parentNode || document);
  });
  document.addEventListener("DOMContentLoaded", function () { refresh(document); });
})();
