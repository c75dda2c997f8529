// The error summary of a refused form (templates/_error_summary.html, the GOV.UK pattern):
// the page opens at the summary, so a long page (the contract form sits far below its banner)
// does not hide why the form came back; each link moves focus to its field and shows the
// field's label with it. Without JavaScript the summary is still first in the main content
// and the links still scroll to their fields.
const summary = document.querySelector("[data-error-summary]");
if (summary) {
  summary.focus();

  // One delegated listener: a link's target may be a field, or hold one (a group of radios).
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link || !summary.contains(link)) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    const field = target.matches("input, select, textarea, button")
      ? target : target.querySelector("input, select, textarea, button");
    if (!field) return;
    event.preventDefault();
    // A closed <details> (the estimate editor) hides its fields: open it first.
    const folded = field.closest("details:not([open])");
    if (folded) folded.open = true;
    const label = field.closest("fieldset")?.querySelector("legend")
      || (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`));
    field.focus({ preventScroll: true });
    (label || field).scrollIntoView({ block: "start" });
  });
}
