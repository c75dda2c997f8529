// 分類 of the ポイント表: chosen from the existing categories, or added on purpose. The field for
// a new category's name shows only while 「新しい分類を追加」 is chosen; without JavaScript both
// stay visible and the server says which one it used (services/menu.py).
const select = document.querySelector("select[data-new-category]");
const field = document.querySelector("[data-new-category-field]");

function update() {
  const adding = select.value === select.dataset.newCategory;
  field.hidden = !adding;
  field.querySelector("input").disabled = !adding;  // a hidden name is never posted beside a choice
}

if (select && field) {
  select.addEventListener("change", () => {
    update();
    if (!field.hidden) field.querySelector("input").focus();
  });
  update();
}
