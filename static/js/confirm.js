// Costly or final actions ask first (取り下げる, 承認, 無効にする). A form carrying
// data-confirm="<dialog id>" opens that <dialog> instead of posting: focus moves into it, Esc
// or 「戻る」 closes it with nothing sent, and its confirm button posts the original form with
// confirmed=1. Without JavaScript the form posts without confirmed=1 and the server answers
// with a confirmation page saying the same thing (chalicelib/web/confirmations.py).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  const confirmed = form.querySelector("input[name='confirmed']");
  if (confirmed && confirmed.value === "1") return;
  const dialog = document.getElementById(form.dataset.confirm);
  if (!(dialog instanceof HTMLDialogElement)) return;  // no dialog: the confirmation page asks
  event.preventDefault();
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "confirm") {
      form.querySelector("button[type='submit']")?.focus();  // back where the user was
      return;
    }
    let flag = confirmed;
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.append(flag);
    }
    flag.value = "1";
    form.submit();
  }, { once: true });
});
