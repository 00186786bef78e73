// Follows the page's "continue" link at once (e.g. to an OAuth consent page): a navigation
// from a link, which CSP's form-action does not govern as it would a form's redirect.
document.addEventListener("DOMContentLoaded", function () {
  const link = document.querySelector("a[data-auto-continue]");
  if (link) { window.location.assign(link.href); }
});
