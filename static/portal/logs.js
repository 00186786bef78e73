// Dead letters: confirmation before a replay or discard, and "tick every row" for bulk
// actions. Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-check-all");
    if (!name || !box.form) {
      return;
    }
    box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(
      function (other) { other.checked = box.checked; });
  });
})();
