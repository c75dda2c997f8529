// The estimate editor (見積を作成する / 見積を修正する): a running total as rows are filled, and
// rows added or removed. The total is a guide: the server computes the estimate's total when it
// is saved (services/pointrules.estimate_totals), with the same rule written here: the sum of
// quantity x points, the urgency multiplier, rounded UP to 0.5 pt. Without JavaScript the form
// keeps its fixed set of rows and posts as it is.
import { format, fraction, quantity, tenths, total } from "./estimate-total.js";

function rowTenths(row) {
  const fields = (name) => row.querySelector(`[name^="${name}_"]`);
  const qty = quantity(fields("qty").value);
  const chosen = fields("menu").selectedOptions[0];
  const unit = chosen && chosen.value ? Number(chosen.dataset.tenths) : tenths(fields("points").value);
  const typed = (chosen && chosen.value) || fields("points").value.trim() || fields("name").value.trim();
  if (!typed) return 0;
  return qty === null || unit === null ? null : qty * unit;
}

function update(editor) {
  const box = editor.querySelector("[data-running-total]");
  let subtotal = 0;
  let unreadable = 0;
  for (const row of editor.querySelectorAll("[data-estimate-row]")) {
    const line = rowTenths(row);
    if (line === null) unreadable += 1;
    else subtotal += line;
  }
  const [top, bottom] = fraction(box.dataset.multiplier);
  box.querySelector("[data-total-value]").value = format(total(subtotal, box.dataset.multiplier));
  const detail = [];
  if (top !== bottom) detail.push(`小計 ${format(subtotal)} pt × ${box.dataset.multiplier}`);
  if (unreadable) detail.push(`数字を読めない行が${unreadable}件あります(合計に含めていません)`);
  box.querySelector("[data-total-detail]").textContent = detail.length ? `(${detail.join("、")})` : "";
}

function renumber(editor) {
  const rows = editor.querySelectorAll("[data-estimate-row]");
  rows.forEach((row, index) => { row.querySelector("[data-row-number]").textContent = String(index + 1); });
  const list = editor.querySelector("[data-estimate-rows]");
  const add = editor.querySelector("[data-add-row]");
  add.disabled = rows.length >= Number(list.dataset.linesMax) || nextIndex(editor) >= Number(list.dataset.rowsMax);
  for (const remove of editor.querySelectorAll("[data-remove-row]")) remove.hidden = rows.length <= 1;
}

function nextIndex(editor) {
  let highest = -1;
  for (const select of editor.querySelectorAll('[data-estimate-row] select[name^="menu_"]')) {
    highest = Math.max(highest, Number(select.name.slice("menu_".length)));
  }
  return highest + 1;
}

function addRow(editor) {
  const template = editor.querySelector("#estimate-row-template");
  const index = String(nextIndex(editor));
  const row = template.content.firstElementChild.cloneNode(true);
  for (const element of row.querySelectorAll("[id], [for], [name], [aria-describedby]")) {
    for (const attribute of ["id", "for", "name", "aria-describedby"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replaceAll("__INDEX__", index));
    }
  }
  editor.querySelector("[data-estimate-rows]").append(row);
  renumber(editor);
  update(editor);
  row.querySelector("select").focus();
}

function removeRow(editor, row) {
  const rows = [...editor.querySelectorAll("[data-estimate-row]")];
  const neighbour = rows[rows.indexOf(row) + 1] || rows[rows.indexOf(row) - 1];
  row.remove();
  renumber(editor);
  update(editor);
  neighbour?.querySelector("select")?.focus();
}

for (const editor of document.querySelectorAll("[data-estimate-editor]")) {
  editor.querySelector("[data-running-total]").hidden = false;
  editor.querySelector("[data-add-row]").hidden = false;
  for (const remove of editor.querySelectorAll("[data-remove-row]")) remove.hidden = false;
  editor.addEventListener("input", () => update(editor));
  editor.addEventListener("change", () => update(editor));
  editor.addEventListener("click", (event) => {
    const button = event.target.closest("button[type='button']");
    if (!button) return;
    if (button.matches("[data-add-row]")) addRow(editor);
    else if (button.matches("[data-remove-row]")) removeRow(editor, button.closest("[data-estimate-row]"));
  });
  renumber(editor);
  update(editor);
}
