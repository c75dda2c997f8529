// The 公開希望日 hint on 新規依頼: when a date is picked, asks the server how many business days
// that leaves and which 特急料金 multiplier applies (GET /api/urgency), and shows the answer in a
// live region so screen readers announce it. The arithmetic stays on the server, so the hint and
// the estimate can never disagree. Without JavaScript the form works the same, without the hint.
let asked = 0;  // only the answer to the latest question is shown

function show(hint, message, state) {
  hint.textContent = message;
  hint.classList.toggle("is-applied", state === "applied");
  hint.classList.toggle("is-invalid", state === "invalid");
}

async function update(input) {
  const hint = document.getElementById(input.dataset.urgencyHint);
  if (!hint) return;
  const question = ++asked;
  if (!input.value) {
    show(hint, "", "");
    return;
  }
  // Without an answer (offline, signed out, server error) the hint says so: the form itself
  // still works, and the server checks the date again when it is sent.
  let message = input.dataset.urgencyFailed;
  let state = "invalid";
  try {
    const response = await fetch(`/api/urgency?due=${encodeURIComponent(input.value)}`, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      message = data.message;
      state = data.label ? "applied" : "";
    } else {
      message = data.errors?.due_date || data.message || message;
    }
  } catch {
    // keep the failure message
  }
  if (question === asked) show(hint, message, state);
}

document.addEventListener("change", (event) => {
  const input = event.target.closest("input[data-urgency-hint]");
  if (input) update(input);
});
