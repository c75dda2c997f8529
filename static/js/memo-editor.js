// 画面メモ: the editor, a modal <dialog> cloned from the field's <template>: tools, the pin notes,
// keyboard and pointer, 元に戻す, and saving the flattened PNG into the form's 添付ファイル
// (uploads.js, event "irai:upload") with the notes and the drawing. Its listeners are delegated
// listeners on the document (listen()); the drawing itself lives in the pure modules.
import { annotations, layers, pinNumber as numberOf, pins as pinsOf } from "./memo-drawing.js";
import { arrowAt, bounds, boxAt, clamp, corners, hit, moveBy, resizeBy, toImage } from "./memo-geometry.js";
import { History, keepNotes } from "./memo-history.js";
import { paint, textFont } from "./memo-paint.js";

const TOOLS = { pin: "ピン", rect: "四角", arrow: "矢印", pen: "手書き", text: "文字", redact: "黒塗り" };
const HINTS = {
  pin: "ピン: 画像の気になる所をクリック(またはEnter)すると番号付きのピンが立ちます。",
  rect: "四角: ドラッグして囲みます(Enterでカーソルの位置に置けます)。",
  arrow: "矢印: ドラッグした向きに矢印を引きます(Enterでカーソルの位置を指します)。",
  pen: "手書き: ドラッグして線を描きます(Enterで始め、矢印キーで引き、もう一度Enterで終わります)。",
  text: "文字: 文字を置く所をクリック(またはEnter)して、文字を入力します。",
  redact: "黒塗り: 見せたくない所をドラッグして塗りつぶします。保存した画像では元の内容は残りません。",
};
const PIN_MAX = 50;             // the API keeps at most 50 notes of 500 characters
const SIDE_MAX = 8000;          // larger images are scaled down before editing (canvas limits)
const TYPING = "input, textarea, select, [contenteditable]";

let editor = null;              // the open editor, or null
const counts = new WeakMap();   // memo field → memos saved from it so far (画面メモ 1, 2, …)

const template = (field, name) => field.querySelector(`template[data-memo-template="${name}"]`).content;

// ---- The editor. ----
// The field (memo.js) has cleared its message; one editor at a time.
function openEditor(field, bitmap, opener) {
  if (editor) return;
  let image = bitmap;
  let width = bitmap.width;
  let height = bitmap.height;
  if (Math.max(width, height) > SIDE_MAX) {
    const ratio = SIDE_MAX / Math.max(width, height);
    width = Math.round(width * ratio);
    height = Math.round(height * ratio);
    image = document.createElement("canvas");
    Object.assign(image, { width, height });
    image.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  }
  const dialog = template(field, "editor").firstElementChild.cloneNode(true);
  document.body.append(dialog);  // outside the form: Enter in the editor must not submit it
  const canvas = dialog.querySelector("[data-memo-canvas]");
  Object.assign(canvas, { width, height });
  editor = {
    field, dialog, canvas, image, bitmap, width, height, opener,
    unit: clamp(Math.max(width, height) / 1000, 0.75, 8),
    tool: "pin", items: [], selected: null, cursor: { x: width / 2, y: height / 2 },
    keyboard: false, drag: null, penKeys: null, textAt: null, history: new History(), nextId: 1,
    // The width of a text item's line, as the geometry needs it (memo-geometry.js `space`).
    measure(text) {
      const ctx = this.canvas.getContext("2d");
      ctx.font = textFont(this.unit);
      return ctx.measureText(text).width;
    },
  };
  canvas.setAttribute("aria-label", `画像(${width}×${height}ピクセル)の描き込み欄`);
  setTool("pin", { quiet: true });
  editor.resize = new ResizeObserver(fit);
  editor.resize.observe(dialog.querySelector("[data-memo-stage]"));
  dialog.showModal();
  fit();
  // Lines and pins keep a readable size on the screen they are drawn on (a tall phone screenshot
  // shown small gets thicker ones), and the saved PNG keeps the proportions the user saw.
  const shown = canvas.getBoundingClientRect().width;
  if (shown > 0) editor.unit = Math.max(editor.unit, clamp(0.85 * width / shown, 0.75, 12));
  update();
  canvas.focus();
  say(HINTS.pin);
}

function closeEditor() {
  if (!editor) return;
  const { dialog, opener, bitmap, resize } = editor;
  resize.disconnect();
  bitmap.close?.();
  editor = null;
  if (dialog.open) dialog.close();
  dialog.remove();
  if (opener?.isConnected) opener.focus();
}

// The canvas keeps the image's pixels; CSS shows it as large as the stage allows.
function fit() {
  if (!editor) return;
  const { canvas, width, height } = editor;
  const stage = editor.dialog.querySelector("[data-memo-stage]");
  const style = getComputedStyle(stage);
  const roomX = stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const roomY = stage.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const scale = Math.min(roomX / width, roomY / height, 4);
  if (!(scale > 0)) return;
  canvas.style.width = `${Math.floor(width * scale)}px`;
  canvas.style.height = `${Math.floor(height * scale)}px`;
}

const say = (message) => {
  const status = editor?.dialog.querySelector("[data-memo-status]");
  if (status) status.textContent = message;
};

function setTool(tool, { quiet = false } = {}) {
  editor.tool = tool;
  finishPen();
  for (const button of editor.dialog.querySelectorAll("[data-memo-tool]")) {
    button.setAttribute("aria-pressed", String(button.dataset.memoTool === tool));
  }
  for (const name of Object.keys(TOOLS)) editor.dialog.classList.toggle(`is-tool-${name}`, name === tool);
  if (!quiet) say(HINTS[tool]);
}

// ---- The drawing (memo-drawing.js) of the open editor, and its history. ----
const pins = () => pinsOf(editor.items);
const find = (id) => editor.items.find((item) => item.id === id) || null;
const pinNumber = (item) => numberOf(editor.items, item);
const snapshot = () => structuredClone(editor.items);

// Before each change: remember the drawing for 元に戻す (steps sharing `key` are one).
function checkpoint(key = null, before = snapshot()) {
  editor.history.checkpoint(before, key);
}

function restore(direction) {
  const { history } = editor;
  if (!(direction === "undo" ? history.canUndo : history.canRedo)) return false;
  finishPen();
  editor.items = keepNotes(history[direction](snapshot()), editor.items);
  if (!find(editor.selected)) editor.selected = null;
  return true;
}

function undo() {
  if (restore("undo")) say("元に戻しました。");
}

function redo() {
  if (restore("redo")) say("やり直しました。");
}

function add(item) {
  checkpoint();
  item.id = editor.nextId++;
  editor.items.push(item);
  editor.selected = item.id;
  return item;
}

function removeSelected() {
  const item = find(editor.selected);
  if (!item) return;
  const label = describe(item);
  checkpoint();
  editor.items = editor.items.filter((other) => other !== item);
  editor.selected = null;
  say(`${label}を削除しました。`);
}

function describe(item) {
  return item.type === "pin" ? `ピン${pinNumber(item)}` : TOOLS[item.type];
}

// ---- Painting (memo-paint.js), at most once a frame. ----
let frame = 0;
function render() {
  if (frame || !editor) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (editor) paint(editor.canvas.getContext("2d"), editor, { overlay: true, focused: document.activeElement === editor.canvas });
  });
}

// ---- Everything around the canvas follows the model. ----
function update() {
  const { dialog } = editor;
  const list = dialog.querySelector("[data-memo-pins]");
  const rows = new Map([...list.children].map((row) => [Number(row.dataset.pinId), row]));
  const current = pins();
  const same = current.length === rows.size && current.every((pin, i) => list.children[i]?.dataset.pinId === String(pin.id));
  if (!same) {
    for (const [id, row] of rows) if (!find(id)) row.remove();
    current.forEach((pin, i) => {
      let row = rows.get(pin.id);
      if (!row) {
        row = template(editor.field, "pin").firstElementChild.cloneNode(true);
        row.dataset.pinId = pin.id;
        const note = row.querySelector("textarea");
        note.id = `memo-pin-${pin.id}`;
        row.querySelector("label").htmlFor = note.id;
      }
      if (list.children[i] !== row) list.insertBefore(row, list.children[i] || null);
    });
  }
  current.forEach((pin, i) => {
    const row = list.children[i];
    const name = `ピン${i + 1}`;
    row.querySelector(".memo-pin__number").textContent = String(i + 1);
    row.querySelector(".memo-pin__label").textContent = name;
    row.querySelector(".memo-pin__remove").setAttribute("aria-label", `${name}を削除`);
    const note = row.querySelector("textarea");
    if (note.value !== pin.note) note.value = pin.note;
    row.classList.toggle("is-selected", pin.id === editor.selected);
  });
  dialog.querySelector("[data-memo-empty]").hidden = current.length > 0;
  const count = (...types) => editor.items.filter((item) => types.includes(item.type)).length;
  dialog.querySelector("[data-memo-summary]").textContent =
    `ピン ${count("pin")} ・ 図形 ${count("rect", "arrow", "pen")} ・ 文字 ${count("text")} ・ 黒塗り ${count("redact")}`;
  dialog.querySelector('[data-memo-action="undo"]').disabled = !editor.history.canUndo;
  dialog.querySelector('[data-memo-action="redo"]').disabled = !editor.history.canRedo;
  dialog.querySelector('[data-memo-action="delete"]').disabled = !editor.selected;
  dialog.classList.toggle("is-selecting", Boolean(editor.selected));
  render();
}

function focusNote(pin) {
  requestAnimationFrame(() => editor?.dialog.querySelector(`#memo-pin-${pin.id}`)?.focus());
}

// ---- Placing things with the keyboard (or a click for pins and text). ----
function placePin(at) {
  if (pins().length >= PIN_MAX) {
    say(`ピンは${PIN_MAX}個までです。`);
    return null;
  }
  const pin = add({ type: "pin", x: Math.round(at.x), y: Math.round(at.y), note: "" });
  say(`ピン${pinNumber(pin)}を置きました。メモ欄「ピン${pinNumber(pin)}」に内容を書いてください。`);
  return pin;
}

function placeAtCursor() {
  const { cursor: c, tool } = editor;
  if (tool === "pin") {
    const pin = placePin(c);
    if (pin) focusNote(pin);
  } else if (tool === "rect" || tool === "redact") {
    add({ type: tool, ...boxAt(c, editor) });
    say(`${TOOLS[tool]}を置きました。矢印キーで移動、Shift+矢印キーで大きさを変えられます。`);
  } else if (tool === "arrow") {
    add({ type: "arrow", ...arrowAt(c, editor) });
    say("矢印を置きました。矢印キーで移動、Shift+矢印キーで矢印の先を動かせます。");
  } else if (tool === "pen") {
    const line = add({ type: "pen", points: [[Math.round(c.x), Math.round(c.y)]] });
    editor.penKeys = line.id;
    say("手書き中です。矢印キーで線を引き、Enterで終わります。");
  } else if (tool === "text") {
    openTextbox({ x: c.x, y: c.y });
  }
}

function finishPen() {
  if (!editor?.penKeys) return;
  editor.penKeys = null;
  say("手書きの線を終えました。");
}

function openTextbox(at, item = null) {
  editor.textAt = { x: at.x, y: at.y, id: item?.id ?? null };
  const box = editor.dialog.querySelector("[data-memo-textbox]");
  const input = box.querySelector("[data-memo-text]");
  input.value = item?.text || "";
  box.hidden = false;
  input.focus();
}

function closeTextbox({ commit }) {
  const box = editor.dialog.querySelector("[data-memo-textbox]");
  const text = box.querySelector("[data-memo-text]").value.trim();
  const at = editor.textAt;
  box.hidden = true;
  editor.textAt = null;
  if (commit && at && text) {
    const existing = find(at.id);
    if (existing) {
      checkpoint();
      existing.text = text;
    } else {
      const size = 20 * editor.unit;
      add({ type: "text", x: Math.round(at.x), y: Math.round(clamp(at.y - size / 2, 0, editor.height - size)), text });
    }
    say("文字を置きました。矢印キーで移動できます。");
  }
  editor.canvas.focus();
  update();
}

function step(event) {
  const base = Math.max(1, Math.round(Math.max(editor.width, editor.height) / 100));
  return event.altKey ? 1 : base;
}

function onCanvasKey(event) {
  const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const item = find(editor.selected);
  editor.keyboard = true;
  if (arrows[event.key]) {
    event.preventDefault();
    const [ux, uy] = arrows[event.key];
    const size = step(event);
    if (editor.penKeys) {
      const line = find(editor.penKeys);
      moveCursor(ux * size, uy * size);
      line?.points.push([Math.round(editor.cursor.x), Math.round(editor.cursor.y)]);
    } else if (item && event.shiftKey) {
      const before = snapshot();
      if (resizeBy(item, ux * size, uy * size, editor)) checkpoint(`resize:${item.id}`, before);
      else say(`${describe(item)}は大きさを変えられません。`);
    } else if (item) {
      const before = snapshot();
      moveBy(item, ux * size, uy * size, editor);
      checkpoint(`move:${item.id}`, before);
      const b = bounds(item, editor);
      editor.cursor = { x: b.x + b.w / 2, y: b.y + b.h / 2 };
    } else {
      moveCursor(ux * size * (event.shiftKey ? 5 : 1), uy * size * (event.shiftKey ? 5 : 1));
    }
  } else if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    if (editor.penKeys) finishPen();
    else if (item?.type === "text" && editor.tool === "text") openTextbox(item, item);
    else placeAtCursor();
  } else if (event.key === "Delete" || event.key === "Backspace") {
    event.preventDefault();
    removeSelected();
  } else if (event.key === "Escape" && (editor.penKeys || item)) {
    event.preventDefault();  // first Esc lets go of the selection; the next one closes the editor
    if (editor.penKeys) finishPen();
    editor.selected = null;
    say("選択を外しました。");
  } else if (event.key === "[" || event.key === "]") {
    event.preventDefault();
    const order = layers(editor.items);
    if (!order.length) return;
    const at = order.indexOf(item);
    const direction = event.key === "]" ? 1 : -1;
    const next = at < 0 ? order.at(direction > 0 ? 0 : -1) : order[(at + direction + order.length) % order.length];
    editor.selected = next.id;
    say(`${describe(next)}を選びました。`);
  } else {
    return;
  }
  update();
}

function moveCursor(dx, dy) {
  editor.cursor = { x: clamp(editor.cursor.x + dx, 0, editor.width), y: clamp(editor.cursor.y + dy, 0, editor.height) };
}

// ---- Pointer: draw by dragging; press on something drawn to select and move it. ----
const pointAt = (event) => toImage(event.clientX, event.clientY, editor.canvas.getBoundingClientRect(), editor);

// The item under a point: within a few screen pixels, however large the image is shown.
const itemAt = (p) => hit(editor.items, p, 6 * editor.width / editor.canvas.getBoundingClientRect().width, editor);

function onPointerDown(event) {
  if (event.button !== 0) return;
  const { canvas } = editor;
  event.preventDefault();
  canvas.focus();
  canvas.setPointerCapture(event.pointerId);
  editor.keyboard = false;
  finishPen();
  if (editor.textAt) closeTextbox({ commit: true });
  const p = pointAt(event);
  editor.cursor = p;
  const target = itemAt(p);
  if (target) {
    editor.selected = target.id;
    editor.drag = { mode: "move", id: target.id, last: p, before: snapshot(), moved: false };
    if (target.type === "pin") editor.drag.focusPin = target;  // a click on a pin goes to its note
  } else if (editor.tool === "pin") {
    const pin = placePin(p);
    if (pin) editor.drag = { mode: "move", id: pin.id, last: p, before: null, moved: true, fresh: pin };
  } else if (editor.tool === "text") {
    editor.selected = null;
    editor.drag = { mode: "text", at: p };  // the box opens on release, once the canvas has taken focus
  } else {
    editor.selected = null;
    const draft = editor.tool === "pen"
      ? { type: "pen", points: [[Math.round(p.x), Math.round(p.y)]] }
      : editor.tool === "arrow"
        ? { type: "arrow", x1: p.x, y1: p.y, x2: p.x, y2: p.y }
        : { type: editor.tool, x: Math.floor(p.x), y: Math.floor(p.y), w: 0, h: 0 };
    editor.drag = { mode: "draw", start: p, draft };
  }
  update();
}

function onPointerMove(event) {
  const drag = editor?.drag;
  if (!drag) return;
  const p = pointAt(event);
  if (drag.mode === "text") return;
  if (drag.mode === "move") {
    const item = find(drag.id);
    if (!item) return;
    if (!drag.moved) {
      drag.moved = true;
      checkpoint(null, drag.before);
    }
    moveBy(item, p.x - drag.last.x, p.y - drag.last.y, editor);
    drag.last = p;
  } else {
    const { draft, start } = drag;
    if (draft.type === "pen") {
      const [lx, ly] = draft.points.at(-1);
      if (Math.hypot(p.x - lx, p.y - ly) >= 2 * editor.unit) draft.points.push([Math.round(p.x), Math.round(p.y)]);
    } else if (draft.type === "arrow") {
      Object.assign(draft, { x2: p.x, y2: p.y });
    } else {
      Object.assign(draft, corners(start, p, editor));
    }
  }
  render();
}

function onPointerUp(event) {
  const drag = editor?.drag;
  if (!drag) return;
  editor.drag = null;
  if (editor.canvas.hasPointerCapture(event.pointerId)) editor.canvas.releasePointerCapture(event.pointerId);
  if (drag.mode === "text") {
    if (event.type === "pointerup") openTextbox(drag.at);
  } else if (drag.mode === "move") {
    if (drag.fresh) focusNote(drag.fresh);
    else if (drag.focusPin && !drag.moved) focusNote(drag.focusPin);
    else if (drag.moved) say(`${describe(find(drag.id))}を動かしました。`);
  } else if (event.type === "pointerup") {
    const { draft } = drag;
    const b = bounds(draft, editor);
    const enough = 4 * editor.width / editor.canvas.getBoundingClientRect().width;
    if (Math.max(b.w, b.h) >= enough || (draft.type === "pen" && draft.points.length > 1)) {
      if (draft.type === "arrow") for (const key of ["x1", "y1", "x2", "y2"]) draft[key] = Math.round(draft[key]);
      add(draft);
      say(`${TOOLS[draft.type]}を描きました。`);
    } else {
      say(HINTS[draft.type]);
    }
  }
  update();
}

// ---- Saving: flatten at full resolution, then hand the PNG to the upload path. ----
async function save() {
  if (editor.saving) return;
  if (editor.textAt) closeTextbox({ commit: true });  // text typed but not yet placed goes in too
  const zone = editor.field.closest("form")?.querySelector("[data-upload-zone]");
  if (!zone) {
    say("このフォームでは画面メモを保存できません。");
    return;
  }
  editor.saving = true;
  finishPen();
  editor.selected = null;
  const out = document.createElement("canvas");
  Object.assign(out, { width: editor.width, height: editor.height });
  paint(out.getContext("2d"), editor, { overlay: false });
  const blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
  if (!blob || !editor) {
    if (editor) {
      editor.saving = false;
      say("画像を作れませんでした。もう一度お試しください。");
    }
    return;
  }
  const field = editor.field;
  const number = (counts.get(field) ?? keptMemos(zone)) + 1;
  counts.set(field, number);
  const label = `画面メモ ${number}`;
  const notes = pins().map((pin) => pin.note.trim());
  const thumbnail = thumb(out);
  const extra = { notes, annotations: annotations(editor.items, editor) };
  const list = zone.querySelector("[data-upload-list]");
  const before = list?.lastElementChild;
  zone.dispatchEvent(new CustomEvent("irai:upload", {
    bubbles: true,
    detail: {
      file: new File([blob], `画面メモ${number}.png`, { type: "image/png" }),
      kind: "memo", label, extra,
      done: (id) => announce(field, id ? `${label}を添付しました。` : `${label}を添付できませんでした。`),
    },
  }));
  // uploads.js adds the row at once: show the memo itself in it, with its number of notes.
  const row = list?.lastElementChild;
  if (row && row !== before) {
    row.classList.add("upload--memo");
    const image = document.createElement("img");
    image.className = "upload__thumb";
    image.alt = "";
    image.src = thumbnail;
    row.prepend(image);
    const meta = row.querySelector(".upload__meta");
    if (meta && notes.length) meta.textContent += ` ・ ピン${notes.length}個`;
  }
  announce(field, `${label}を添付ファイルに追加しています。`);
  closeEditor();
}

// The highest number among the 画面メモ a refused form listed again (named 画面メモN.png), so a new
// memo does not take the name of one still attached.
function keptMemos(zone) {
  const numbers = [...zone.querySelectorAll("[data-upload-kept].upload--memo .upload__name")]
    .map((name) => Number(/^画面メモ(\d+)\.png$/.exec(name.textContent.trim())?.[1] || 0));
  return Math.max(0, ...numbers);
}

function thumb(source) {
  const scale = Math.min(1, 160 / source.width, 120 / source.height);
  const small = document.createElement("canvas");
  Object.assign(small, { width: Math.max(1, Math.round(source.width * scale)), height: Math.max(1, Math.round(source.height * scale)) });
  small.getContext("2d").drawImage(source, 0, 0, small.width, small.height);
  return small.toDataURL("image/png");
}

function announce(field, message) {
  const status = field.querySelector("[data-memo-status]");
  if (status) status.textContent = message;
}

// キャンセル (or Esc) with something drawn asks first; with nothing drawn it just closes.
function askToClose() {
  if (!editor.items.length) {
    closeEditor();
    return;
  }
  const confirm = editor.dialog.querySelector("[data-memo-confirm]");
  confirm.hidden = false;
  editor.dialog.classList.add("is-confirming");
  confirm.querySelector('[data-memo-action="keep"]').focus();
}

function keepEditing() {
  editor.dialog.querySelector("[data-memo-confirm]").hidden = true;
  editor.dialog.classList.remove("is-confirming");
  editor.canvas.focus();
}

// ---- The delegated listeners. ----
// Installs the editor's delegated listeners, once, when the entry module (memo.js) has loaded it.
export function listen() {
  document.addEventListener("click", (event) => {
    if (!editor || !editor.dialog.contains(event.target)) return;
    const tool = event.target.closest("[data-memo-tool]");
    if (tool) {
      setTool(tool.dataset.memoTool);
      update();
      return;
    }
    const action = event.target.closest("[data-memo-action]")?.dataset.memoAction;
    if (!action) return;
    switch (action) {
      case "undo": undo(); break;
      case "redo": redo(); break;
      case "delete": removeSelected(); editor.canvas.focus(); break;
      case "remove-pin": {
        editor.selected = Number(event.target.closest("[data-pin-id]").dataset.pinId);
        removeSelected();
        editor.canvas.focus();
        break;
      }
      case "text-ok": closeTextbox({ commit: true }); return;
      case "text-cancel": closeTextbox({ commit: false }); return;
      case "save": save(); return;
      case "cancel": askToClose(); return;
      case "discard": closeEditor(); return;
      case "keep": keepEditing(); return;
      default: return;
    }
    update();
  });

  document.addEventListener("input", (event) => {
    const note = event.target.closest(".memo-pin__note");
    if (!note || !editor) return;
    const pin = find(Number(note.closest("[data-pin-id]").dataset.pinId));
    if (pin) pin.note = note.value;
  });

  document.addEventListener("focusin", (event) => {
    if (!editor) return;
    const row = event.target.closest?.("[data-pin-id]");
    if (row && editor.dialog.contains(row)) {
      // Writing a pin's note selects that pin on the image.
      editor.selected = Number(row.dataset.pinId);
      update();
    } else if (event.target === editor.canvas) {
      render();
    }
  });

  document.addEventListener("focusout", (event) => {
    if (editor && event.target === editor.canvas) render();
  });

  document.addEventListener("keydown", (event) => {
    if (!editor || !editor.dialog.contains(event.target)) return;
    const typing = event.target.closest(TYPING);
    if (event.target.closest("[data-memo-text]")) {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        closeTextbox({ commit: true });
      } else if (event.key === "Escape") {
        event.preventDefault();
        closeTextbox({ commit: false });
      }
      return;
    }
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !typing && (key === "z" || key === "y")) {
      event.preventDefault();
      if (key === "y" || event.shiftKey) redo();
      else undo();
      update();
      return;
    }
    if (event.target === editor.canvas && !event.ctrlKey && !event.metaKey) onCanvasKey(event);
  });

  // Esc on a <dialog> asks to close it: same as キャンセル. (`cancel` does not bubble: capture it.)
  document.addEventListener("cancel", (event) => {
    if (!editor || event.target !== editor.dialog) return;
    event.preventDefault();
    if (editor.dialog.classList.contains("is-confirming")) keepEditing();
    else askToClose();
  }, true);

  // The browser may close a dialog on its own (a second Esc in a row is not always cancelable).
  document.addEventListener("close", (event) => {
    if (editor && event.target === editor.dialog) closeEditor();
  }, true);

  document.addEventListener("pointerdown", (event) => {
    if (editor && event.target === editor.canvas) onPointerDown(event);
  });
  document.addEventListener("pointermove", (event) => {
    if (editor?.drag) onPointerMove(event);
  });
  for (const type of ["pointerup", "pointercancel"]) {
    document.addEventListener(type, (event) => {
      if (editor?.drag) onPointerUp(event);
    });
  }
}

export const isOpen = () => editor !== null;

// What a form that was sent and emptied forgets: its memos so far (the next is 画面メモ 1) and
// what was announced about them.
export function resetField(field) {
  counts.delete(field);
  announce(field, "");
}

export { openEditor };
