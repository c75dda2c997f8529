// 画面メモ: coordinates and shapes, without the DOM. Everything is in image pixels. `space` is
// the image being drawn on: { width, height, unit, measure(text) → width of a text item's line },
// where `unit` scales lines, pins and texts to the size the image is shown at.
import { layers } from "./memo-drawing.js";

export const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

// The smallest box around some [x, y] points.
export function box(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

export function bounds(item, space) {
  const u = space.unit;
  switch (item.type) {
    case "pin": { const r = 15 * u; return { x: item.x - r, y: item.y - r, w: 2 * r, h: 2 * r }; }
    case "text": return { x: item.x, y: item.y, w: space.measure(item.text), h: 22 * u };
    case "arrow": return box([[item.x1, item.y1], [item.x2, item.y2]]);
    case "pen": return box(item.points);
    default: return { x: item.x, y: item.y, w: item.w, h: item.h };
  }
}

export function moveBy(item, dx, dy, space) {
  // Keep the item on the image.
  const b = bounds(item, space);
  const anchorX = item.type === "pin" ? b.x + b.w / 2 : b.x;
  const anchorY = item.type === "pin" ? b.y + b.h / 2 : b.y;
  const spanX = item.type === "pin" ? 0 : b.w;
  const spanY = item.type === "pin" ? 0 : b.h;
  dx = clamp(dx, -anchorX, space.width - spanX - anchorX);
  dy = clamp(dy, -anchorY, space.height - spanY - anchorY);
  if (!dx && !dy) return;
  if ("x" in item) { item.x += dx; item.y += dy; }
  if (item.type === "arrow") { item.x1 += dx; item.y1 += dy; item.x2 += dx; item.y2 += dy; }
  if (item.type === "pen") item.points = item.points.map(([x, y]) => [x + dx, y + dy]);
}

// Boxes grow from their top left corner, arrows from their tip; other items keep their size (false).
export function resizeBy(item, dx, dy, space) {
  if (item.type === "rect" || item.type === "redact") {
    item.w = clamp(item.w + dx, 4, space.width - item.x);
    item.h = clamp(item.h + dy, 4, space.height - item.y);
    return true;
  }
  if (item.type === "arrow") {
    item.x2 = clamp(item.x2 + dx, 0, space.width);
    item.y2 = clamp(item.y2 + dy, 0, space.height);
    return true;
  }
  return false;
}

// A box from two corners, on whole pixels and outward, so a redaction covers every pixel it touches.
export function corners(a, b, space) {
  const x = Math.floor(clamp(Math.min(a.x, b.x), 0, space.width));
  const y = Math.floor(clamp(Math.min(a.y, b.y), 0, space.height));
  return {
    x, y,
    w: Math.ceil(clamp(Math.max(a.x, b.x), 0, space.width)) - x,
    h: Math.ceil(clamp(Math.max(a.y, b.y), 0, space.height)) - y,
  };
}

export function distanceToSegment(p, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = dx || dy ? clamp(((p.x - x1) * dx + (p.y - y1) * dy) / (dx * dx + dy * dy), 0, 1) : 0;
  return Math.hypot(p.x - (x1 + t * dx), p.y - (y1 + t * dy));
}

// The item under a point, topmost first (pins, texts, lines and boxes, redactions). `tolerance`
// is in image pixels: a few screen pixels at the size the image is shown.
export function hit(items, p, tolerance, space) {
  const near = (item) => {
    const b = bounds(item, space);
    switch (item.type) {
      case "pin": return Math.hypot(p.x - item.x, p.y - item.y) <= b.w / 2 + tolerance / 2;
      case "arrow": return distanceToSegment(p, [item.x1, item.y1], [item.x2, item.y2]) <= tolerance + 3 * space.unit;
      case "pen": return item.points.some((point, i) => distanceToSegment(p, point, item.points[Math.max(0, i - 1)]) <= tolerance + 3 * space.unit);
      case "rect": {
        const inside = p.x >= b.x - tolerance && p.x <= b.x + b.w + tolerance && p.y >= b.y - tolerance && p.y <= b.y + b.h + tolerance;
        const within = p.x > b.x + tolerance && p.x < b.x + b.w - tolerance && p.y > b.y + tolerance && p.y < b.y + b.h - tolerance;
        return inside && !within;  // the frame, so a box can be drawn inside another
      }
      default: return p.x >= b.x - tolerance && p.x <= b.x + b.w + tolerance && p.y >= b.y - tolerance && p.y <= b.y + b.h + tolerance;
    }
  };
  return [...layers(items)].reverse().find(near) || null;
}

// A point on the screen (clientX/clientY) in image pixels, given where the image is shown (`rect`).
export function toImage(clientX, clientY, rect, space) {
  return {
    x: clamp((clientX - rect.left) * space.width / rect.width, 0, space.width),
    y: clamp((clientY - rect.top) * space.height / rect.height, 0, space.height),
  };
}

// What Enter places at the keyboard cursor: a box a fifth of the image wide and 15% of its height,
// centred on the cursor and kept on the image; an arrow pointing at the cursor from its upper left.
export function boxAt(cursor, space) {
  const w = Math.max(8, Math.round(space.width * 0.2));
  const h = Math.max(8, Math.round(space.height * 0.15));
  const x = clamp(Math.round(cursor.x - w / 2), 0, space.width - w);
  const y = clamp(Math.round(cursor.y - h / 2), 0, space.height - h);
  return { x, y, w, h };
}

export function arrowAt(cursor, space) {
  const length = Math.max(space.width, space.height) * 0.12;
  return { x1: Math.max(0, cursor.x - length), y1: Math.max(0, cursor.y - length), x2: cursor.x, y2: cursor.y };
}
