// The pure coordinate and shape maths of 画面メモ (static/js/memo-geometry.js), in image pixels.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  arrowAt, bounds, box, boxAt, clamp, corners, distanceToSegment, hit, moveBy, resizeBy, toImage,
} from "../../static/js/memo-geometry.js";

// An image of 400×300 shown at its own size; a text line is 10 pixels per character.
const space = (overrides = {}) => ({ width: 400, height: 300, unit: 1, measure: (text) => 10 * text.length, ...overrides });

describe("clamp and box", () => {
  test("clamp keeps a value between its bounds", () => {
    assert.equal(clamp(5, 0, 10), 5);
    assert.equal(clamp(-3, 0, 10), 0);
    assert.equal(clamp(12, 0, 10), 10);
  });

  test("box is the smallest box around the points", () => {
    assert.deepEqual(box([[10, 40], [30, 20], [25, 35]]), { x: 10, y: 20, w: 20, h: 20 });
    assert.deepEqual(box([[7, 8]]), { x: 7, y: 8, w: 0, h: 0 });
  });
});

describe("bounds", () => {
  test("a pin is a circle of 15 units around its point", () => {
    assert.deepEqual(bounds({ type: "pin", x: 100, y: 50 }, space()), { x: 85, y: 35, w: 30, h: 30 });
    assert.deepEqual(bounds({ type: "pin", x: 100, y: 50 }, space({ unit: 2 })), { x: 70, y: 20, w: 60, h: 60 });
  });

  test("a text is as wide as its line measures and 22 units high", () => {
    assert.deepEqual(bounds({ type: "text", x: 5, y: 6, text: "abc" }, space()), { x: 5, y: 6, w: 30, h: 22 });
  });

  test("arrows and freehand lines are boxed around their points", () => {
    assert.deepEqual(bounds({ type: "arrow", x1: 50, y1: 10, x2: 20, y2: 40 }, space()), { x: 20, y: 10, w: 30, h: 30 });
    assert.deepEqual(bounds({ type: "pen", points: [[1, 2], [9, 4], [5, 8]] }, space()), { x: 1, y: 2, w: 8, h: 6 });
  });

  test("boxes and redactions are their own box", () => {
    for (const type of ["rect", "redact"]) {
      assert.deepEqual(bounds({ type, x: 1, y: 2, w: 3, h: 4 }, space()), { x: 1, y: 2, w: 3, h: 4 });
    }
  });
});

describe("moveBy", () => {
  test("moves every kind of item by the same offset", () => {
    const rect = { type: "rect", x: 10, y: 10, w: 50, h: 20 };
    const arrow = { type: "arrow", x1: 10, y1: 10, x2: 50, y2: 30 };
    const pen = { type: "pen", points: [[10, 10], [20, 15]] };
    for (const item of [rect, arrow, pen]) moveBy(item, 5, -3, space());
    assert.deepEqual(rect, { type: "rect", x: 15, y: 7, w: 50, h: 20 });
    assert.deepEqual(arrow, { type: "arrow", x1: 15, y1: 7, x2: 55, y2: 27 });
    assert.deepEqual(pen, { type: "pen", points: [[15, 7], [25, 12]] });
  });

  test("keeps a box wholly on the image", () => {
    const rect = { type: "rect", x: 300, y: 250, w: 50, h: 20 };
    moveBy(rect, 500, 500, space());
    assert.deepEqual([rect.x, rect.y], [350, 280]);
    moveBy(rect, -1000, -1000, space());
    assert.deepEqual([rect.x, rect.y], [0, 0]);
  });

  test("keeps a pin's point, not its circle, on the image", () => {
    const pin = { type: "pin", x: 390, y: 5 };
    moveBy(pin, 50, -50, space());
    assert.deepEqual([pin.x, pin.y], [400, 0]);
  });

  test("an arrow keeps its shape at the edge", () => {
    const arrow = { type: "arrow", x1: 380, y1: 10, x2: 350, y2: 40 };
    moveBy(arrow, 100, 0, space());
    assert.deepEqual(arrow, { type: "arrow", x1: 400, y1: 10, x2: 370, y2: 40 });
  });

  test("a pen line keeps its points (a new array) and an item at the edge does not move", () => {
    const points = [[0, 0], [10, 10]];
    const pen = { type: "pen", points };
    moveBy(pen, -5, -5, space());
    assert.equal(pen.points, points, "nothing to do: the very same array");
    moveBy(pen, 5, 5, space());
    assert.notEqual(pen.points, points);
    assert.deepEqual(points, [[0, 0], [10, 10]], "the old array (kept by 元に戻す) is untouched");
  });
});

describe("resizeBy", () => {
  test("a box grows from its top left corner, at least 4 pixels and no further than the image", () => {
    const rect = { type: "redact", x: 350, y: 10, w: 20, h: 20 };
    assert.equal(resizeBy(rect, 100, -30, space()), true);
    assert.deepEqual([rect.w, rect.h], [50, 4]);
  });

  test("an arrow moves its tip, kept on the image", () => {
    const arrow = { type: "arrow", x1: 10, y1: 10, x2: 390, y2: 20 };
    assert.equal(resizeBy(arrow, 20, -30, space()), true);
    assert.deepEqual([arrow.x2, arrow.y2], [400, 0]);
  });

  test("pins, texts and lines keep their size", () => {
    for (const item of [{ type: "pin", x: 1, y: 1 }, { type: "text", x: 1, y: 1, text: "a" }, { type: "pen", points: [[1, 1]] }]) {
      const before = structuredClone(item);
      assert.equal(resizeBy(item, 10, 10, space()), false);
      assert.deepEqual(item, before);
    }
  });
});

describe("corners", () => {
  test("a box from two corners in any order, on whole pixels and outward", () => {
    assert.deepEqual(corners({ x: 30.7, y: 40.2 }, { x: 10.2, y: 20.9 }, space()), { x: 10, y: 20, w: 21, h: 21 });
  });

  test("a box dragged past the image ends at its edges", () => {
    assert.deepEqual(corners({ x: -20, y: 290 }, { x: 450, y: 350 }, space()), { x: 0, y: 290, w: 400, h: 10 });
  });
});

describe("distanceToSegment", () => {
  test("from the segment, its ends, and a segment that is a point", () => {
    assert.equal(distanceToSegment({ x: 5, y: 3 }, [0, 0], [10, 0]), 3);
    assert.equal(distanceToSegment({ x: 13, y: 4 }, [0, 0], [10, 0]), 5);
    assert.equal(distanceToSegment({ x: -3, y: -4 }, [0, 0], [10, 0]), 5);
    assert.equal(distanceToSegment({ x: 3, y: 4 }, [0, 0], [0, 0]), 5);
  });
});

describe("hit", () => {
  const items = [
    { id: 1, type: "redact", x: 0, y: 0, w: 200, h: 200 },
    { id: 2, type: "rect", x: 50, y: 50, w: 100, h: 100 },
    { id: 3, type: "pin", x: 100, y: 100 },
    { id: 4, type: "arrow", x1: 250, y1: 50, x2: 350, y2: 50 },
    { id: 5, type: "pen", points: [[250, 200], [300, 200], [300, 250]] },
    { id: 6, type: "text", x: 250, y: 100, text: "abcde" },
  ];
  const at = (x, y, tolerance = 2) => hit(items, { x, y }, tolerance, space())?.id ?? null;

  test("the topmost item wins: pins over boxes over redactions", () => {
    assert.equal(at(100, 100), 3);
    assert.equal(at(110, 108), 3, "within the pin's circle");
  });

  test("a box is hit on its frame only, so a box can be drawn inside another", () => {
    assert.equal(at(50, 80), 2);
    assert.equal(at(151, 80), 2, "within the tolerance outside");
    assert.equal(at(70, 80), 1, "inside the frame: what lies below");
  });

  test("a redaction is hit anywhere inside", () => {
    assert.equal(at(10, 190), 1);
  });

  test("lines are hit near their segments, within the tolerance and 3 units", () => {
    assert.equal(at(300, 54), 4);
    assert.equal(at(300, 56), null);
    assert.equal(at(300, 56, 3), 4, "a larger tolerance (an image shown small) reaches further");
    assert.equal(at(304, 230), 5);
    assert.equal(at(280, 230), null);
  });

  test("a text is hit on its measured box", () => {
    assert.equal(at(299, 110), 6);
    assert.equal(at(310, 110), null);
  });

  test("nothing under the point", () => {
    assert.equal(at(390, 290), null);
    assert.equal(hit([], { x: 1, y: 1 }, 2, space()), null);
  });
});

describe("toImage", () => {
  test("a screen point in image pixels, for an image shown at half its size", () => {
    const rect = { left: 100, top: 50, width: 200, height: 150 };
    assert.deepEqual(toImage(150, 125, rect, space()), { x: 100, y: 150 });
  });

  test("a point outside the image (a drag past its edge) stays on it", () => {
    const rect = { left: 100, top: 50, width: 200, height: 150 };
    assert.deepEqual(toImage(0, 1000, rect, space()), { x: 0, y: 300 });
  });
});

describe("placing with the keyboard", () => {
  test("a box a fifth of the image wide and 15% high, centred on the cursor", () => {
    assert.deepEqual(boxAt({ x: 200, y: 150 }, space()), { x: 160, y: 128, w: 80, h: 45 });
  });

  test("a box near an edge stays on the image; a tiny image gets at least 8 pixels", () => {
    assert.deepEqual(boxAt({ x: 395, y: 2 }, space()), { x: 320, y: 0, w: 80, h: 45 });
    assert.deepEqual(boxAt({ x: 5, y: 5 }, space({ width: 20, height: 20 })), { x: 1, y: 1, w: 8, h: 8 });
  });

  test("an arrow points at the cursor from its upper left, starting on the image", () => {
    assert.deepEqual(arrowAt({ x: 200, y: 150 }, space()), { x1: 152, y1: 102, x2: 200, y2: 150 });
    assert.deepEqual(arrowAt({ x: 10, y: 20 }, space()), { x1: 0, y1: 0, x2: 10, y2: 20 });
  });
});
