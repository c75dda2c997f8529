// The red + on 依頼の進行画面: opens the comment form in place and adds the comment without a
// full reload. Without JavaScript the + is a plain link to the コメント入力画面, which does the same.
const opener = () => document.querySelector("[data-comment-open]");
const formOf = () => document.querySelector("[data-comment-form]");

function showForm(show) {
  const form = formOf();
  if (!form) return;
  form.hidden = !show;
  form.closest("section")?.classList.toggle("is-commenting", show);
  if (show) form.elements.body.focus();
  else opener()?.focus();
}

function showError(form, message) {
  const error = form.querySelector("[data-comment-error]");
  error.textContent = message || "";
  error.hidden = !message;
  if (message) form.elements.body.setAttribute("aria-invalid", "true");
  else form.elements.body.removeAttribute("aria-invalid");
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-comment-open]")) {
    event.preventDefault();
    showForm(true);
  } else if (event.target.closest("[data-comment-cancel]")) {
    showForm(false);
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-comment-form]");
  if (!form) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  form.classList.add("is-busy");
  try {
    const response = await fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
      body: JSON.stringify({
        body: form.elements.body.value,
        submission_id: form.elements.submission_id?.value || "",
        upload_ids: [...form.querySelectorAll("input[name=upload_ids]")].map((input) => input.value),
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(form, data.errors?.body || data.message || form.dataset.failed);
      return;
    }
    const thread = document.getElementById("thread");
    thread.querySelector(".thread__empty")?.remove();
    thread.insertAdjacentHTML("beforeend", data.html);
    form.reset();
    if (form.elements.submission_id) form.elements.submission_id.value = newSubmissionId();  // the next comment is a new one
    form.querySelectorAll("[data-upload-list] > li").forEach((row) => row.remove());
    showError(form, "");
    showForm(false);
    thread.lastElementChild.scrollIntoView({ block: "nearest" });
  } catch {
    showError(form, form.dataset.failed);  // what was typed stays in the box
  } finally {
    button.disabled = false;
    form.classList.remove("is-busy");
  }
});

// A fresh one-time key in the server's id shape (26 characters of Crockford base32).
function newSubmissionId() {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return Array.from(crypto.getRandomValues(new Uint8Array(26)), (byte) => alphabet[byte % 32]).join("");
}
