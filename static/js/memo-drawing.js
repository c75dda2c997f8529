// 画面メモ: the drawing model, without the DOM. A drawing is a list of items in image pixels:
//   { type: "pin", id, x, y, note }          { type: "text", id, x, y, text }
//   { type: "rect" | "redact", id, x, y, w, h }
//   { type: "arrow", id, x1, y1, x2, y2 }     { type: "pen", id, points: [[x, y], …] }
// Pins are numbered by their order in the list (ピン1, ピン2, …).

export const ANNOTATIONS_MAX = 100_000;  // characters of JSON the API accepts with a memo

// Paint order: redactions, then lines and boxes, then texts, then pins on top.
const RANK = { redact: 0, rect: 1, arrow: 1, pen: 1, text: 2, pin: 3 };

export const layers = (items) => [...items].sort((a, b) => RANK[a.type] - RANK[b.type]);
export const pins = (items) => items.filter((item) => item.type === "pin");
export const pinNumber = (items, item) => pins(items).indexOf(item) + 1;

// The drawing as the API stores it beside the PNG (version 1): pins with their numbers and notes,
// shapes and texts, in image pixels.
export function annotations(items, { width, height }) {
  const shapes = [];
  const texts = [];
  for (const item of items) {
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
    image: { width, height },
    pins: pins(items).map((pin, i) => ({ number: i + 1, x: pin.x, y: pin.y, note: pin.note.trim() })),
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
