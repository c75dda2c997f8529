// 添付ファイル: each chosen or dropped file goes straight from the browser to S3 (a presigned POST
// the app hands out per file), with a progress bar and a cancel button. The form then submits only
// the IDs of finished uploads. Messages come from the page (data-msg-*), not from this file.
const ROW = document.createElement("template");
ROW.innerHTML = `<li class="upload">
  <span class="upload__name"></span>
  <span class="upload__meta"></span>
  <progress class="upload__progress" max="100" value="0"></progress>
  <span class="upload__status" role="status"></span>
  <button type="button" class="button button--quiet upload__remove"></button>
</li>`;

const formatSize = (bytes) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

function csrfToken(form) {
  return form.querySelector("input[name=csrf_token]").value;
}

async function requestSlot(zone, file, kind, extra) {
  const response = await fetch("/api/uploads", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(zone.closest("form")) },
    body: JSON.stringify({
      name: file.name, size: file.size, content_type: file.type || "application/octet-stream",
      request_id: zone.dataset.requestId || "", kind, ...extra,
    }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const errors = data.errors ? Object.values(data.errors).join(" ") : "";
    throw new Error(errors || data.message || zone.dataset.msgFailed);
  }
  return data;
}

function send(slot, file, row) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(slot.fields)) body.append(name, value);
    body.append("file", file);  // S3 wants the file last
    const request = new XMLHttpRequest();
    row.abort = () => request.abort();
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) row.querySelector("progress").value = (event.loaded / event.total) * 100;
    });
    request.addEventListener("load", () => (request.status < 300 ? resolve() : reject(new Error(String(request.status)))));
    request.addEventListener("error", () => reject(new Error("network")));
    request.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    request.open("POST", slot.url);
    request.send(body);
  });
}

// Upload one file into `zone`; resolves with the upload ID, or null when refused or cancelled.
async function uploadFile(zone, file, { kind = "file", label, extra = {} } = {}) {
  const list = zone.querySelector("[data-upload-list]");
  const row = ROW.content.firstElementChild.cloneNode(true);
  row.querySelector(".upload__name").textContent = label || file.name;
  row.querySelector(".upload__meta").textContent = `${formatSize(file.size)} ・ ${file.type || "不明な形式"}`;
  const status = row.querySelector(".upload__status");
  const remove = row.querySelector(".upload__remove");
  remove.textContent = zone.dataset.msgCancel;
  remove.setAttribute("aria-label", `${zone.dataset.msgCancel}: ${label || file.name}`);
  list.append(row);
  const form = zone.closest("form");
  const finish = (ok, message) => {
    row.classList.remove("is-uploading");
    row.classList.toggle("is-failed", !ok);
    status.textContent = message;
    updateBusy(form);
  };
  remove.addEventListener("click", () => {
    row.abort?.();
    row.remove();
    updateBusy(form);
  });
  const max = Number(zone.dataset.maxBytes);
  if (file.size > max) {
    finish(false, zone.dataset.msgTooLarge);
    return null;
  }
  if (file.size === 0) {
    finish(false, zone.dataset.msgEmpty);
    return null;
  }
  row.classList.add("is-uploading");
  updateBusy(form);
  try {
    const slot = await requestSlot(zone, file, kind, extra);
    await send(slot, file, row);
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "upload_ids";
    hidden.value = slot.upload_id;
    row.append(hidden);
    row.querySelector("progress").value = 100;
    remove.textContent = zone.dataset.msgRemove;
    remove.setAttribute("aria-label", `${zone.dataset.msgRemove}: ${label || file.name}`);
    finish(true, zone.dataset.msgDone);
    return slot.upload_id;
  } catch (error) {
    if (error.name === "AbortError") return null;
    finish(false, error.message && !/^\d+$|network/.test(error.message) ? error.message : zone.dataset.msgFailed);
    return null;
  }
}

// Rows the server listed again after a refused submit (templates/requests/_upload_field.html):
// without JavaScript a checked box sends each one; here it becomes the hidden id and the same
// 外す button as a row uploaded just now.
function adopt(row) {
  const zone = row.closest("[data-upload-zone]");
  const box = row.querySelector("input[name=upload_ids]");
  if (!zone || !box) return;
  const name = row.querySelector(".upload__name").textContent;
  const hidden = document.createElement("input");
  hidden.type = "hidden";
  hidden.name = "upload_ids";
  hidden.value = box.value;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "button button--quiet upload__remove";
  remove.textContent = zone.dataset.msgRemove;
  remove.setAttribute("aria-label", `${zone.dataset.msgRemove}: ${name}`);
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling?.querySelector("button") || zone.querySelector("input[type=file]");
    row.remove();
    next?.focus();  // focus would otherwise fall back to the top of the page
  });
  box.closest("label").replaceWith(hidden, remove);
}

for (const row of document.querySelectorAll("[data-upload-kept]")) adopt(row);

function updateBusy(form) {
  const busy = Boolean(form?.querySelector(".upload.is-uploading"));
  form?.classList.toggle("is-uploading", busy);
}

document.addEventListener("change", (event) => {
  const input = event.target.closest("[data-upload-zone] input[type=file]");
  if (!input) return;
  const zone = input.closest("[data-upload-zone]");
  for (const file of input.files) uploadFile(zone, file);
  input.value = "";  // the files now live in the list; the form never posts their bytes
});

for (const type of ["dragover", "drop", "dragleave"]) {
  document.addEventListener(type, (event) => {
    const zone = event.target.closest?.("[data-upload-zone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.toggle("is-dragging", type === "dragover");
    if (type === "drop") for (const file of event.dataTransfer.files) uploadFile(zone, file);
  });
}

// A form must not be sent while a file is still on its way: the file would be left out.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.classList?.contains("is-uploading")) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const zone = form.querySelector("[data-upload-zone]");
  zone?.querySelector("[data-upload-wait]")?.removeAttribute("hidden");
}, true);

// Other modules (the 画面メモ editor) hand over files they made by dispatching this event on a zone:
// zone.dispatchEvent(new CustomEvent("irai:upload", {detail: {file, kind, label, extra, done}, bubbles: true}))
// where `extra` joins the slot request (a 画面メモ's notes and annotations) and `done(id)` is called
// with the upload ID (null if refused or cancelled).
document.addEventListener("irai:upload", (event) => {
  const zone = event.target.closest?.("[data-upload-zone]");
  if (!zone) return;
  const { file, kind, label, extra, done } = event.detail;
  uploadFile(zone, file, { kind, label, extra }).then((id) => done?.(id));
});
