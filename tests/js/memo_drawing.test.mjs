// The drawing model of 画面メモ (static/js/memo-drawing.js): paint order, pin numbers and the JSON
// the API stores beside the PNG.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ANNOTATIONS_MAX, annotations, layers, pinNumber, pins } from "../../static/js/memo-drawing.js";

const items = [
  { id: 1, type: "pin", x: 10, y: 20, note: "  ボタンの色  " },
  { id: 2, type: "redact", x: 0, y: 0, w: 30, h: 40 },
  { id: 3, type: "text", x: 5, y: 6, text: "ここ" },
  { id: 4, type: "arrow", x1: 1, y1: 2, x2: 3, y2: 4 },
  { id: 5, type: "pin", x: 30, y: 40, note: "" },
  { id: 6, type: "rect", x: 7, y: 8, w: 9, h: 10 },
  { id: 7, type: "pen", points: [[1, 1], [2, 3]] },
];

describe("layers", () => {
  test("redactions first, then lines and boxes in drawing order, then texts, pins on top", () => {
    assert.deepEqual(layers(items).map((item) => item.id), [2, 4, 6, 7, 3, 1, 5]);
  });

  test("a new list: the drawing keeps its order", () => {
    const before = items.map((item) => item.id);
    assert.notEqual(layers(items), items);
    assert.deepEqual(items.map((item) => item.id), before);
  });
});

describe("pins", () => {
  test("pins are numbered in the order they were placed", () => {
    assert.deepEqual(pins(items).map((item) => item.id), [1, 5]);
    assert.equal(pinNumber(items, items[0]), 1);
    assert.equal(pinNumber(items, items[4]), 2);
    assert.equal(pinNumber(items.slice(1), items[4]), 1, "numbers follow when a pin goes");
  });
});

describe("annotations", () => {
  test("version 1: the image's size, numbered pins with trimmed notes, shapes and texts", () => {
    assert.deepEqual(JSON.parse(annotations(items, { width: 640, height: 480 })), {
      version: 1,
      image: { width: 640, height: 480 },
      pins: [{ number: 1, x: 10, y: 20, note: "ボタンの色" }, { number: 2, x: 30, y: 40, note: "" }],
      shapes: [
        { type: "redaction", x: 0, y: 0, width: 30, height: 40 },
        { type: "arrow", x1: 1, y1: 2, x2: 3, y2: 4 },
        { type: "rect", x: 7, y: 8, width: 9, height: 10 },
        { type: "freehand", points: [[1, 1], [2, 3]] },
      ],
      texts: [{ x: 5, y: 6, text: "ここ" }],
    });
  });

  test("an empty drawing", () => {
    assert.deepEqual(JSON.parse(annotations([], { width: 1, height: 2 })),
      { version: 1, image: { width: 1, height: 2 }, pins: [], shapes: [], texts: [] });
  });

  test("long freehand lines are thinned out to fit, keeping their ends; the drawing is untouched", () => {
    const points = Array.from({ length: 20_000 }, (_, i) => [i % 1000, Math.floor(i / 1000)]);
    const line = { id: 1, type: "pen", points };
    const json = annotations([line], { width: 1000, height: 20 });
    assert.ok(json.length <= ANNOTATIONS_MAX, json.length);
    const [shape] = JSON.parse(json).shapes;
    assert.equal(shape.points.length, 10_001, "one pass: every other point, and the last");
    assert.deepEqual(shape.points[0], points[0]);
    assert.deepEqual(shape.points.at(-1), points.at(-1));
    assert.equal(line.points, points);
    assert.equal(points.length, 20_000);
  });

  test("a drawing within the limit is not thinned", () => {
    const points = Array.from({ length: 1000 }, (_, i) => [i, i]);
    assert.equal(JSON.parse(annotations([{ id: 1, type: "pen", points }], { width: 1000, height: 1000 })).shapes[0].points.length, 1000);
  });
});
