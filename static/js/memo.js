// 画面メモ: a screenshot (captured with getDisplayMedia, pasted, dropped or chosen) marked up with
// numbered pins and their notes, rectangles, arrows, freehand lines, text and black redaction
// boxes, then flattened into one PNG at the image's full resolution and handed to the 添付ファイル
// upload path of the same form (uploads.js, event "irai:upload") with the notes and the drawing.
// The editor is a modal <dialog> cloned from the field's <template>; every listener is one
// delegated listener on the document. Without JavaScript the field only shows its <noscript> note.

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
const ANNOTATIONS_MAX = 100_000; // characters of JSON the API accepts with a memo
const SIDE_MAX = 8000;          // larger images are scaled down before editing (canvas limits)
const COLOR = "#e11d48";
const SELECT = "#2563eb";
const FONT = '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", Meiryo, system-ui, sans-serif';
const TYPING = "input, textarea, select, [contenteditable]";

let editor = null;              // the open editor, or null
const counts = new WeakMap();   // memo field → memos saved from it so far (画面メモ 1, 2, …)

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
const template = (field, name) => field.querySelector(`template[data-memo-template="${name}"]`).content;
const visible = (element) => (element.checkVisibility ? element.checkVisibility() : element.offsetParent !== null);

// ---- The field: offer what this browser can do. ----
for (const field of document.querySelectorAll("[data-memo]")) {
  field.querySelector("[data-memo-drop]").hidden = false;
  field.querySelector("[data-memo-capture]").hidden = !navigator.mediaDevices?.getDisplayMedia;
}

function fieldMessage(field, message, { error = false } = {}) {
  const box = field.querySelector("[data-memo-error]");
  box.textContent = error ? message : "";
  box.hidden = !error;
}

async function openFromBlob(field, blob, opener) {
  if (!blob || !/^image\//.test(blob.type)) {
    fieldMessage(field, "画像ファイル(PNG・JPEGなど)を選んでください。", { error: true });
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    fieldMessage(field, "この画像は読み込めませんでした。別の形式(PNG・JPEG)でお試しください。", { error: true });
    return;
  }
  openEditor(field, bitmap, opener);
}

async function capture(field, button) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false, selfBrowserSurface: "include" });
  } catch (error) {
    if (error.name !== "NotAllowedError" && error.name !== "AbortError") {
      fieldMessage(field, "画面をキャプチャできませんでした。スクリーンショットを貼り付けるか、画像を選んでください。", { error: true });
    }
    return;  // the user closed the browser's picker: nothing to say
  }
  try {
    const [track] = stream.getVideoTracks();
    let bitmap = null;
    if ("ImageCapture" in window) bitmap = await new ImageCapture(track).grabFrame().catch(() => null);
    if (!bitmap) {
      const video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      await video.play();
      await new Promise((resolve) => (video.requestVideoFrameCallback
        ? video.requestVideoFrameCallback(() => resolve()) : requestAnimationFrame(() => resolve())));
      bitmap = await createImageBitmap(video);
      video.srcObject = null;
    }
    openEditor(field, bitmap, button);
  } catch {
    fieldMessage(field, "画面をキャプチャできませんでした。スクリーンショットを貼り付けるか、画像を選んでください。", { error: true });
  } finally {
    stream.getTracks().forEach((track) => track.stop());
  }
}

// ---- The editor. ----
function openEditor(field, bitmap, opener) {
  if (editor) return;
  fieldMessage(field, "");
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
    keyboard: false, drag: null, penKeys: null, textAt: null, past: [], future: [], lastKey: null, nextId: 1,
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

// ---- The drawing model: items in image pixels. ----
const pins = () => editor.items.filter((item) => item.type === "pin");
const find = (id) => editor.items.find((item) => item.id === id) || null;
const pinNumber = (item) => pins().indexOf(item) + 1;
const snapshot = () => structuredClone(editor.items);

// Before each change: remember the drawing for 元に戻す. Repeated steps of one move (arrow keys
// held down) share `key`, so one 元に戻す takes the whole move back.
function checkpoint(key = null, before = snapshot()) {
  if (key && key === editor.lastKey) return;
  editor.past.push(before);
  if (editor.past.length > 200) editor.past.shift();
  editor.future = [];
  editor.lastKey = key;
}

function restore(from, to) {
  if (!from.length) return false;
  finishPen();
  to.push(snapshot());
  const notes = new Map(pins().map((pin) => [pin.id, pin.note]));
  editor.items = from.pop();
  // Notes are typed text with the textarea's own undo: a pin that stays keeps what was typed.
  for (const pin of pins()) if (notes.has(pin.id)) pin.note = notes.get(pin.id);
  if (!find(editor.selected)) editor.selected = null;
  editor.lastKey = null;
  return true;
}

function undo() {
  if (restore(editor.past, editor.future)) say("元に戻しました。");
}

function redo() {
  if (restore(editor.future, editor.past)) say("やり直しました。");
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

function bounds(item) {
  const u = editor.unit;
  switch (item.type) {
    case "pin": { const r = 15 * u; return { x: item.x - r, y: item.y - r, w: 2 * r, h: 2 * r }; }
    case "text": {
      const ctx = editor.canvas.getContext("2d");
      ctx.font = textFont();
      return { x: item.x, y: item.y, w: ctx.measureText(item.text).width, h: 22 * u };
    }
    case "arrow": return box([[item.x1, item.y1], [item.x2, item.y2]]);
    case "pen": return box(item.points);
    default: return { x: item.x, y: item.y, w: item.w, h: item.h };
  }
}

function box(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

function moveBy(item, dx, dy) {
  // Keep the item on the image.
  const b = bounds(item);
  const anchorX = item.type === "pin" ? b.x + b.w / 2 : b.x;
  const anchorY = item.type === "pin" ? b.y + b.h / 2 : b.y;
  const spanX = item.type === "pin" ? 0 : b.w;
  const spanY = item.type === "pin" ? 0 : b.h;
  dx = clamp(dx, -anchorX, editor.width - spanX - anchorX);
  dy = clamp(dy, -anchorY, editor.height - spanY - anchorY);
  if (!dx && !dy) return;
  if ("x" in item) { item.x += dx; item.y += dy; }
  if (item.type === "arrow") { item.x1 += dx; item.y1 += dy; item.x2 += dx; item.y2 += dy; }
  if (item.type === "pen") item.points = item.points.map(([x, y]) => [x + dx, y + dy]);
}

function resizeBy(item, dx, dy) {
  if (item.type === "rect" || item.type === "redact") {
    item.w = clamp(item.w + dx, 4, editor.width - item.x);
    item.h = clamp(item.h + dy, 4, editor.height - item.y);
    return true;
  }
  if (item.type === "arrow") {
    item.x2 = clamp(item.x2 + dx, 0, editor.width);
    item.y2 = clamp(item.y2 + dy, 0, editor.height);
    return true;
  }
  return false;
}

// A box from two corners, on whole pixels and outward, so a redaction covers every pixel it touches.
function corners(a, b) {
  const x = Math.floor(clamp(Math.min(a.x, b.x), 0, editor.width));
  const y = Math.floor(clamp(Math.min(a.y, b.y), 0, editor.height));
  return {
    x, y,
    w: Math.ceil(clamp(Math.max(a.x, b.x), 0, editor.width)) - x,
    h: Math.ceil(clamp(Math.max(a.y, b.y), 0, editor.height)) - y,
  };
}

function distanceToSegment(p, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = dx || dy ? clamp(((p.x - x1) * dx + (p.y - y1) * dy) / (dx * dx + dy * dy), 0, 1) : 0;
  return Math.hypot(p.x - (x1 + t * dx), p.y - (y1 + t * dy));
}

// The item under a point, topmost first (pins, texts, lines and boxes, redactions).
function hit(p) {
  const tolerance = 6 * editor.width / editor.canvas.getBoundingClientRect().width;
  const near = (item) => {
    const b = bounds(item);
    switch (item.type) {
      case "pin": return Math.hypot(p.x - item.x, p.y - item.y) <= b.w / 2 + tolerance / 2;
      case "arrow": return distanceToSegment(p, [item.x1, item.y1], [item.x2, item.y2]) <= tolerance + 3 * editor.unit;
      case "pen": return item.points.some((point, i) => distanceToSegment(p, point, item.points[Math.max(0, i - 1)]) <= tolerance + 3 * editor.unit);
      case "rect": {
        const inside = p.x >= b.x - tolerance && p.x <= b.x + b.w + tolerance && p.y >= b.y - tolerance && p.y <= b.y + b.h + tolerance;
        const within = p.x > b.x + tolerance && p.x < b.x + b.w - tolerance && p.y > b.y + tolerance && p.y < b.y + b.h - tolerance;
        return inside && !within;  // the frame, so a box can be drawn inside another
      }
      default: return p.x >= b.x - tolerance && p.x <= b.x + b.w + tolerance && p.y >= b.y - tolerance && p.y <= b.y + b.h + tolerance;
    }
  };
  return [...layers()].reverse().find(near) || null;
}

// Paint order: redactions, then lines and boxes, then texts, then pins on top.
function layers() {
  const rank = { redact: 0, rect: 1, arrow: 1, pen: 1, text: 2, pin: 3 };
  return [...editor.items].sort((a, b) => rank[a.type] - rank[b.type]);
}

// ---- Painting: the same code for the screen and for the saved PNG. ----
const textFont = () => `700 ${Math.round(20 * editor.unit)}px ${FONT}`;

function paint(ctx, { overlay }) {
  const { unit: u, width, height } = editor;
  ctx.save();
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(editor.image, 0, 0, width, height);
  const items = layers();
  if (overlay && editor.drag?.draft) items.push(editor.drag.draft);
  for (const item of items) {
    ctx.save();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    if (item.type === "redact") {
      ctx.fillStyle = "#000";  // opaque: the pixels underneath are replaced in the export
      ctx.fillRect(item.x, item.y, item.w, item.h);
    } else if (item.type === "rect") {
      stroke(ctx, (c) => c.rect(item.x, item.y, item.w, item.h));
    } else if (item.type === "arrow") {
      const angle = Math.atan2(item.y2 - item.y1, item.x2 - item.x1);
      const head = 18 * u;
      const tip = (sign) => [item.x2 - head * Math.cos(angle + sign * 0.45), item.y2 - head * Math.sin(angle + sign * 0.45)];
      stroke(ctx, (c) => {
        c.moveTo(item.x1, item.y1);
        c.lineTo(item.x2 - head * 0.6 * Math.cos(angle), item.y2 - head * 0.6 * Math.sin(angle));
      });
      const [ax, ay] = tip(1);
      const [bx, by] = tip(-1);
      ctx.beginPath();
      ctx.moveTo(item.x2, item.y2);
      ctx.lineTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.closePath();
      ctx.lineWidth = 2 * u;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.fillStyle = COLOR;
      ctx.fill();
    } else if (item.type === "pen") {
      stroke(ctx, (c) => {
        c.moveTo(...item.points[0]);
        for (const point of item.points.slice(1)) c.lineTo(...point);
        if (item.points.length === 1) c.lineTo(item.points[0][0] + 0.1, item.points[0][1]);
      });
    } else if (item.type === "text") {
      ctx.font = textFont();
      ctx.textBaseline = "top";
      ctx.lineWidth = 5 * u;
      ctx.strokeStyle = "#fff";
      ctx.strokeText(item.text, item.x, item.y);
      ctx.fillStyle = COLOR;
      ctx.fillText(item.text, item.x, item.y);
    } else if (item.type === "pin") {
      const r = 15 * u;
      const number = pinNumber(item);
      ctx.beginPath();
      ctx.arc(item.x, item.y, r, 0, Math.PI * 2);
      ctx.shadowColor = "rgba(0, 0, 0, .35)";
      ctx.shadowBlur = 4 * u;
      ctx.fillStyle = COLOR;
      ctx.fill();
      ctx.shadowColor = "transparent";
      ctx.lineWidth = 2.5 * u;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.font = `700 ${Math.round((number > 9 ? 15 : 18) * u)}px ${FONT}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(String(number), item.x, item.y + u);
    }
    ctx.restore();
  }
  if (overlay) paintOverlay(ctx);
  ctx.restore();
}

// A red line with a thin white edge, readable on dark and light screens alike.
function stroke(ctx, path) {
  const u = editor.unit;
  ctx.beginPath();
  path(ctx);
  ctx.lineWidth = 6 * u;
  ctx.strokeStyle = "rgba(255, 255, 255, .9)";
  ctx.stroke();
  ctx.lineWidth = 3.5 * u;
  ctx.strokeStyle = COLOR;
  ctx.stroke();
}

function paintOverlay(ctx) {
  const u = editor.unit;
  const item = find(editor.selected);
  ctx.save();
  if (item) {
    const b = bounds(item);
    const pad = 5 * u;
    ctx.lineWidth = 4 * u;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(b.x - pad, b.y - pad, b.w + 2 * pad, b.h + 2 * pad);
    ctx.setLineDash([6 * u, 4 * u]);
    ctx.lineWidth = 2 * u;
    ctx.strokeStyle = SELECT;
    ctx.strokeRect(b.x - pad, b.y - pad, b.w + 2 * pad, b.h + 2 * pad);
  }
  const focused = document.activeElement === editor.canvas;
  if (focused && editor.keyboard && (!item || editor.penKeys)) {
    const { x, y } = editor.cursor;
    const r = 10 * u;
    for (const [color, width] of [["#fff", 5 * u], [SELECT, 2.5 * u]]) {
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.moveTo(x - 2 * r, y); ctx.lineTo(x - r / 2, y);
      ctx.moveTo(x + r / 2, y); ctx.lineTo(x + 2 * r, y);
      ctx.moveTo(x, y - 2 * r); ctx.lineTo(x, y - r / 2);
      ctx.moveTo(x, y + r / 2); ctx.lineTo(x, y + 2 * r);
      ctx.lineWidth = width;
      ctx.strokeStyle = color;
      ctx.stroke();
    }
  }
  ctx.restore();
}

let frame = 0;
function render() {
  if (frame || !editor) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (editor) paint(editor.canvas.getContext("2d"), { overlay: true });
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
  dialog.querySelector('[data-memo-action="undo"]').disabled = !editor.past.length;
  dialog.querySelector('[data-memo-action="redo"]').disabled = !editor.future.length;
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
  const { cursor: c, width: w, height: h, tool } = editor;
  if (tool === "pin") {
    const pin = placePin(c);
    if (pin) focusNote(pin);
  } else if (tool === "rect" || tool === "redact") {
    const bw = Math.max(8, Math.round(w * 0.2));
    const bh = Math.max(8, Math.round(h * 0.15));
    const x = clamp(Math.round(c.x - bw / 2), 0, w - bw);
    const y = clamp(Math.round(c.y - bh / 2), 0, h - bh);
    add({ type: tool, x, y, w: bw, h: bh });
    say(`${TOOLS[tool]}を置きました。矢印キーで移動、Shift+矢印キーで大きさを変えられます。`);
  } else if (tool === "arrow") {
    const length = Math.max(w, h) * 0.12;
    add({ type: "arrow", x1: Math.max(0, c.x - length), y1: Math.max(0, c.y - length), x2: c.x, y2: c.y });
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
      if (resizeBy(item, ux * size, uy * size)) checkpoint(`resize:${item.id}`, before);
      else say(`${describe(item)}は大きさを変えられません。`);
    } else if (item) {
      const before = snapshot();
      moveBy(item, ux * size, uy * size);
      checkpoint(`move:${item.id}`, before);
      const b = bounds(item);
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
    const order = layers();
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
function pointAt(event) {
  const rect = editor.canvas.getBoundingClientRect();
  return {
    x: clamp((event.clientX - rect.left) * editor.width / rect.width, 0, editor.width),
    y: clamp((event.clientY - rect.top) * editor.height / rect.height, 0, editor.height),
  };
}

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
  const target = hit(p);
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
    moveBy(item, p.x - drag.last.x, p.y - drag.last.y);
    drag.last = p;
  } else {
    const { draft, start } = drag;
    if (draft.type === "pen") {
      const [lx, ly] = draft.points.at(-1);
      if (Math.hypot(p.x - lx, p.y - ly) >= 2 * editor.unit) draft.points.push([Math.round(p.x), Math.round(p.y)]);
    } else if (draft.type === "arrow") {
      Object.assign(draft, { x2: p.x, y2: p.y });
    } else {
      Object.assign(draft, corners(start, p));
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
    const b = bounds(draft);
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
function annotations() {
  const shapes = [];
  const texts = [];
  for (const item of editor.items) {
    if (item.type === "rect" || item.type === "redact") {
      shapes.push({ type: item.type === "rect" ? "rect" : "redaction", x: item.x, y: item.y, width: item.w, height: item.h });
    } else if (item.type === "arrow") {
      shapes.push({ type: "arrow", x1: item.x1, y1: item.y1, x2: item.x2, y2: item.y2 });
    } else if (item.type === "pen") {
      shapes.push({ type: "freehand", points: item.points });
    } else if (item.type === "text") {
      texts.push({ x: item.x, y: item.y, text: item.text });
    }
  }
  const drawing = {
    version: 1,
    image: { width: editor.width, height: editor.height },
    pins: pins().map((pin, i) => ({ number: i + 1, x: pin.x, y: pin.y, note: pin.note.trim() })),
    shapes,
    texts,
  };
  let json = JSON.stringify(drawing);
  // Long freehand lines are the only thing that can outgrow the limit: thin them out.
  for (let pass = 0; json.length > ANNOTATIONS_MAX && pass < 12; pass += 1) {
    for (const shape of shapes) {
      if (shape.type === "freehand" && shape.points.length > 2) {
        shape.points = shape.points.filter((_, i) => i % 2 === 0 || i === shape.points.length - 1);
      }
    }
    json = JSON.stringify(drawing);
  }
  return json;
}

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
  paint(out.getContext("2d"), { overlay: false });
  const blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
  if (!blob || !editor) {
    if (editor) {
      editor.saving = false;
      say("画像を作れませんでした。もう一度お試しください。");
    }
    return;
  }
  const field = editor.field;
  const number = (counts.get(field) || 0) + 1;
  counts.set(field, number);
  const label = `画面メモ ${number}`;
  const notes = pins().map((pin) => pin.note.trim());
  const thumbnail = thumb(out);
  const extra = { notes, annotations: annotations() };
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
document.addEventListener("click", (event) => {
  const capturer = event.target.closest("[data-memo-capture]");
  if (capturer) {
    capture(capturer.closest("[data-memo]"), capturer);
    return;
  }
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

document.addEventListener("change", (event) => {
  const input = event.target.closest("[data-memo-file]");
  if (!input) return;
  const [file] = input.files;
  input.value = "";  // the same image can be chosen again for a second memo
  if (file) openFromBlob(input.closest("[data-memo]"), file, input);
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

// A form sent and emptied (the comment form on 依頼の進行画面) starts again from 画面メモ 1.
document.addEventListener("reset", (event) => {
  const field = event.target.querySelector?.("[data-memo]");
  if (!field) return;
  counts.delete(field);
  announce(field, "");
  fieldMessage(field, "");
});

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

// Paste a screenshot anywhere on the page: it opens in the 画面メモ of the form being filled in.
document.addEventListener("paste", (event) => {
  if (editor) return;
  const items = [...(event.clipboardData?.items || [])];
  const file = items.find((item) => item.kind === "file" && item.type.startsWith("image/"))?.getAsFile();
  if (!file) return;
  const own = event.target.closest?.("form")?.querySelector("[data-memo]");
  const field = own && visible(own) ? own : [...document.querySelectorAll("[data-memo]")].find(visible);
  if (!field) return;
  event.preventDefault();
  openFromBlob(field, file, document.activeElement);
});

for (const type of ["dragover", "dragleave", "drop"]) {
  document.addEventListener(type, (event) => {
    const field = event.target.closest?.("[data-memo]");
    if (!field || editor) return;
    event.preventDefault();
    field.classList.toggle("is-dragging", type === "dragover");
    if (type === "drop") {
      const file = [...event.dataTransfer.files].find((f) => f.type.startsWith("image/")) || event.dataTransfer.files[0];
      if (file) openFromBlob(field, file, field.querySelector("[data-memo-file]"));
    }
  });
}
