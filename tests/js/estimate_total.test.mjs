// The estimate editor's running total (static/js/estimate-total.js): the server's rule
// (pointrules.estimate_totals) in tenths, and numbers read as the server reads them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { format, quantity, tenths, total } from "../../static/js/estimate-total.js";

describe("reading what was typed", () => {
  test("points in tenths, full-width and grouped as the server reads them", () => {
    assert.equal(tenths("2.5"), 25);
    assert.equal(tenths("２．５"), 25);
    assert.equal(tenths("1,000"), 10000);
    assert.equal(tenths(".5"), 5);
    assert.equal(tenths(" 3 "), 30);
  });
  test("what the server refuses is not counted", () => {
    for (const text of ["", "1.25", "1e3", "-1", "0", "abc", "10000", "1,00"]) assert.equal(tenths(text), null, text);
  });
  test("a blank quantity is 1; outside 1-999 is unreadable", () => {
    assert.equal(quantity(""), 1);
    assert.equal(quantity("３"), 3);
    for (const text of ["0", "1000", "1.5", "x"]) assert.equal(quantity(text), null, text);
  });
});

describe("the total", () => {
  test("the multiplier applies to the subtotal, rounded up to 0.5 pt", () => {
    assert.equal(total(30, "1.2"), 40);   // 3 pt x 1.2 = 3.6 -> 4 pt
    assert.equal(total(10, "1.5"), 15);   // 1.5 pt stays
    assert.equal(total(25, "1"), 25);
    assert.equal(total(70, "1.25"), 90);  // 8.75 -> 9
    assert.equal(total(0, "2.0"), 0);
  });
  test("points are written as the pages write them", () => {
    assert.equal(format(100), "10");
    assert.equal(format(25), "2.5");
    assert.equal(format(123450), "12,345");
  });
});
