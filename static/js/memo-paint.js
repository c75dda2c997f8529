// 画面メモ: painting a drawing on a canvas: the same code for the screen and for the saved PNG.
// `state` is the open editor (memo-editor.js): the image, its size and `unit`, the items, the
// item being drawn (`drag.draft`), the selection and the keyboard cursor.
import { layers, pinNumber } from "./memo-drawing.js";
import { bounds } from "./memo-geometry.js";

const COLOR = "#e11d48";
const SELECT = "#2563eb";
const FONT = '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", Meiryo, system-ui, sans-serif';

export const textFont = (unit) => `700 ${Math.round(20 * unit)}px ${FONT}`;

// `overlay`: the selection frame and the keyboard cursor, on the screen only; `focused`: whether
// the canvas has the keyboard focus (the cursor shows only then).
export function paint(ctx, state, { overlay, focused = false }) {
  const { unit: u, width, height } = state;
  ctx.save();
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(state.image, 0, 0, width, height);
  const items = layers(state.items);
  if (overlay && state.drag?.draft) items.push(state.drag.draft);
  for (const item of items) {
    ctx.save();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    if (item.type === "redact") {
      ctx.fillStyle = "#000";  // opaque: the pixels underneath are replaced in the export
      ctx.fillRect(item.x, item.y, item.w, item.h);
    } else if (item.type === "rect") {
      stroke(ctx, u, (c) => c.rect(item.x, item.y, item.w, item.h));
    } else if (item.type === "arrow") {
      const angle = Math.atan2(item.y2 - item.y1, item.x2 - item.x1);
      const head = 18 * u;
      const tip = (sign) => [item.x2 - head * Math.cos(angle + sign * 0.45), item.y2 - head * Math.sin(angle + sign * 0.45)];
      stroke(ctx, u, (c) => {
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
      stroke(ctx, u, (c) => {
        c.moveTo(...item.points[0]);
        for (const point of item.points.slice(1)) c.lineTo(...point);
        if (item.points.length === 1) c.lineTo(item.points[0][0] + 0.1, item.points[0][1]);
      });
    } else if (item.type === "text") {
      ctx.font = textFont(u);
      ctx.textBaseline = "top";
      ctx.lineWidth = 5 * u;
      ctx.strokeStyle = "#fff";
      ctx.strokeText(item.text, item.x, item.y);
      ctx.fillStyle = COLOR;
      ctx.fillText(item.text, item.x, item.y);
    } else if (item.type === "pin") {
      const r = 15 * u;
      const number = pinNumber(state.items, item);
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
  if (overlay) paintOverlay(ctx, state, focused);
  ctx.restore();
}

// A red line with a thin white edge, readable on dark and light screens alike.
function stroke(ctx, u, path) {
  ctx.beginPath();
  path(ctx);
  ctx.lineWidth = 6 * u;
  ctx.strokeStyle = "rgba(255, 255, 255, .9)";
  ctx.stroke();
  ctx.lineWidth = 3.5 * u;
  ctx.strokeStyle = COLOR;
  ctx.stroke();
}

function paintOverlay(ctx, state, focused) {
  const u = state.unit;
  const item = state.items.find((other) => other.id === state.selected) || null;
  ctx.save();
  if (item) {
    const b = bounds(item, state);
    const pad = 5 * u;
    ctx.lineWidth = 4 * u;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(b.x - pad, b.y - pad, b.w + 2 * pad, b.h + 2 * pad);
    ctx.setLineDash([6 * u, 4 * u]);
    ctx.lineWidth = 2 * u;
    ctx.strokeStyle = SELECT;
    ctx.strokeRect(b.x - pad, b.y - pad, b.w + 2 * pad, b.h + 2 * pad);
  }
  if (focused && state.keyboard && (!item || state.penKeys)) {
    const { x, y } = state.cursor;
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
