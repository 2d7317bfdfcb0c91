// Behaviour for every page, without inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  // Irreversible actions ask first: data-confirm on the form, or on the one button that needs it.
  var form = event.target;
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) || (form.getAttribute && form.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// One navigation menu open at a time; a click elsewhere closes it.
document.addEventListener("click", function (event) {
  var inside = event.target.closest ? event.target.closest("details.navmenu") : null;
  document.querySelectorAll("details.navmenu[open]").forEach(function (menu) {
    if (menu !== inside) { menu.removeAttribute("open"); }
  });
});
