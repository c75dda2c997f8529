// 画面メモ: a screenshot (captured with getDisplayMedia, pasted, dropped or chosen) marked up with
// numbered pins and their notes, rectangles, arrows, freehand lines, text and black redaction
// boxes, then flattened into one PNG at the image's full resolution and handed to the 添付ファイル
// upload path of the same form (uploads.js, event "irai:upload") with the notes and the drawing.
// The editor is a modal <dialog> cloned from the field's <template>; every listener is one
// delegated listener on the document. Without JavaScript the field only shows its <noscript> note.
//
// The modules, each imported by relative path (the server serves those imports as content-hashed
// URLs, chalicelib/templating.py):
//   memo.js           this entry: the field on the form, and where the screenshot comes from
//   memo-editor.js    the editor dialog: tools, notes, keyboard, pointer, 元に戻す, saving
//   memo-paint.js     painting the drawing on a canvas, for the screen and for the PNG
//   memo-geometry.js  coordinates and shapes (pure)
//   memo-drawing.js   the drawing's items, paint order and saved JSON (pure)
//   memo-history.js   the 元に戻す / やり直す stack (pure)
// The pure modules touch no DOM and are unit-tested with node's test runner (tests/js/).

// This entry imports nothing statically: that would hold it back until every module is fetched, and
// until it runs the field is not offered and a screenshot pasted or chosen meanwhile is lost. So it
// is ready after one request, as when 画面メモ was one file, and the editor loads beside it.
let editor = null;  // the editor module, once loaded
const loading = import("./memo-editor.js").then((module) => {
  module.listen();
  editor = module;
  return module;
});

const isOpen = () => Boolean(editor?.isOpen());
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

async function openEditor(field, bitmap, opener) {
  const module = await loading;
  if (module.isOpen()) return;
  fieldMessage(field, "");
  module.openEditor(field, bitmap, opener);
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
    await openEditor(field, bitmap, button);
  } catch {
    fieldMessage(field, "画面をキャプチャできませんでした。スクリーンショットを貼り付けるか、画像を選んでください。", { error: true });
  } finally {
    stream.getTracks().forEach((track) => track.stop());
  }
}

// ---- The delegated listeners (the editor's own are installed with it). ----
document.addEventListener("click", (event) => {
  const capturer = event.target.closest("[data-memo-capture]");
  if (capturer) capture(capturer.closest("[data-memo]"), capturer);
});

document.addEventListener("change", (event) => {
  const input = event.target.closest("[data-memo-file]");
  if (!input) return;
  const [file] = input.files;
  input.value = "";  // the same image can be chosen again for a second memo
  if (file) openFromBlob(input.closest("[data-memo]"), file, input);
});

// A form sent and emptied (the comment form on 依頼の進行画面) starts again from 画面メモ 1.
document.addEventListener("reset", (event) => {
  const field = event.target.querySelector?.("[data-memo]");
  if (!field) return;
  editor?.resetField(field);  // nothing to reset before the editor was loaded
  fieldMessage(field, "");
});

// Paste a screenshot anywhere on the page: it opens in the 画面メモ of the form being filled in.
document.addEventListener("paste", (event) => {
  if (isOpen()) return;
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
    if (!field || isOpen()) return;
    event.preventDefault();
    field.classList.toggle("is-dragging", type === "dragover");
    if (type === "drop") {
      const file = [...event.dataTransfer.files].find((f) => f.type.startsWith("image/")) || event.dataTransfer.files[0];
      if (file) openFromBlob(field, file, field.querySelector("[data-memo-file]"));
    }
  });
}
