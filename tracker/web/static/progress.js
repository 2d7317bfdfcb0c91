// Progress form: save one indicator without reloading the page.  The server answers a save
// sent with "X-Requested-With: fetch" with that indicator's card alone (saved, or with the
// errors next to their fields); the card is swapped in place, so the page stays where it was.
// Without JavaScript the form posts normally and the server returns to #indicator-<id>.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-inline-save]") || !window.fetch || !window.FormData) {
    return;
  }
  event.preventDefault();
  var card = form.closest("section");
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; }
  var top = card.getBoundingClientRect().top;
  fetch(form.action.split("#")[0], {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: {"X-Requested-With": "fetch"}
  }).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if ((response.status !== 200 && response.status !== 400) || type.indexOf("text/html") !== 0) {
      throw new Error("unexpected answer");
    }
    return response.text();
  }).then(function (html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.querySelector("section");
    if (!fresh || fresh.id !== card.id) { throw new Error("unexpected answer"); }
    card.replaceWith(fresh);
    window.scrollBy(0, fresh.getBoundingClientRect().top - top);
    var invalid = fresh.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus({preventScroll: true}); }
  }).catch(function () {
    form.removeAttribute("data-inline-save");  // fall back to an ordinary post
    if (button) { button.disabled = false; }
    form.submit();
  });
});
