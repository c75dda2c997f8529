// Costly or final actions ask first (取り下げる, 承認, 無効にする). A form carrying
// data-confirm="<dialog id>" opens that <dialog> instead of posting: focus moves into it, Esc
// or 「戻る」 closes it with nothing sent, and its confirm button posts the original form with
// confirmed=1. Without JavaScript the form posts without confirmed=1 and the server answers
// with a confirmation page saying the same thing (chalicelib/web/confirmations.py).
const asking = new Map();  // open dialog -> the form it asks about

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (form.elements.namedItem("confirmed")?.value === "1") return;
  const dialog = document.getElementById(form.dataset.confirm);
  if (!(dialog instanceof HTMLDialogElement)) return;  // no dialog: the confirmation page asks
  event.preventDefault();
  if (dialog.open) return;
  asking.set(dialog, form);
  dialog.returnValue = "";
  dialog.showModal();
});

// "close" does not bubble: one listener in the capture phase sees every dialog's. The event is
// queued, so one from an earlier opening can arrive after the dialog was opened again: only
// a dialog that is closed now has an answer.
document.addEventListener("close", (event) => {
  const dialog = event.target;
  const form = asking.get(dialog);
  if (!form || dialog.open) return;
  asking.delete(dialog);
  if (dialog.returnValue !== "confirm") {
    form.querySelector("button[type='submit']")?.focus();  // back where the user was
    return;
  }
  const flag = form.elements.namedItem("confirmed") || form.appendChild(Object.assign(
    document.createElement("input"), { type: "hidden", name: "confirmed" }));
  flag.value = "1";
  form.submit();
}, true);
