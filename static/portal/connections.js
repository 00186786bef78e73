// Show only the credential fields of the chosen sign-in method.
document.addEventListener("DOMContentLoaded", function () {
  const select = document.getElementById("id_auth_type");
  if (!select) return;
  function sync() {
    document.querySelectorAll("[data-auth-type]").forEach(function (el) {
      const kind = el.getAttribute("data-auth-type");
      el.hidden = kind !== "" && kind !== select.value;
    });
  }
  select.addEventListener("change", sync);
  sync();
});
