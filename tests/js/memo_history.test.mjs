// 元に戻す / やり直す of 画面メモ (static/js/memo-history.js): whole copies of the drawing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { HISTORY_MAX, History, keepNotes } from "../../static/js/memo-history.js";

describe("History", () => {
  test("a new history has nothing to undo or redo", () => {
    const history = new History();
    assert.equal(history.canUndo, false);
    assert.equal(history.canRedo, false);
    assert.equal(history.undo(["now"]), null);
    assert.equal(history.redo(["now"]), null);
    assert.equal(history.canRedo, false, "an empty step back keeps nothing for the way forward");
  });

  test("undo goes back step by step, redo forward again", () => {
    const history = new History();
    history.checkpoint("a");  // then the drawing became b
    history.checkpoint("b");  // then c
    assert.equal(history.undo("c"), "b");
    assert.equal(history.undo("b"), "a");
    assert.equal(history.canUndo, false);
    assert.equal(history.redo("a"), "b");
    assert.equal(history.redo("b"), "c");
    assert.equal(history.canRedo, false);
    assert.equal(history.undo("c"), "b");
  });

  test("a new change forgets what could be redone", () => {
    const history = new History();
    history.checkpoint("a");
    assert.equal(history.undo("b"), "a");
    assert.equal(history.canRedo, true);
    history.checkpoint("a");  // a different change from a
    assert.equal(history.canRedo, false);
    assert.equal(history.undo("b2"), "a");
  });

  test("steps of one move share a key and are taken back at once", () => {
    const history = new History();
    history.checkpoint("start", "move:1");
    history.checkpoint("one step on", "move:1");
    history.checkpoint("two steps on", "move:1");
    assert.equal(history.past.length, 1);
    assert.equal(history.undo("moved"), "start");
  });

  test("another key, a change without a key, or a step back start a new step", () => {
    const history = new History();
    history.checkpoint("a", "move:1");
    history.checkpoint("b", "move:2");
    history.checkpoint("c");
    history.checkpoint("d");
    assert.equal(history.past.length, 4);
    history.checkpoint("e", "move:1");
    assert.equal(history.undo("f"), "e");
    history.checkpoint("e'", "move:1");  // the same key right after 元に戻す is a new move
    assert.equal(history.past.length, 5);
  });

  test("keeps the last 200 steps", () => {
    const history = new History();
    assert.equal(HISTORY_MAX, 200);
    for (let i = 0; i < 205; i += 1) history.checkpoint(i);
    assert.equal(history.past.length, 200);
    let oldest = null;
    for (let state = 205; history.canUndo;) oldest = history.undo(state);
    assert.equal(oldest, 5);
  });

  test("the limit is the history's own", () => {
    const history = new History(2);
    for (const state of ["a", "b", "c"]) history.checkpoint(state);
    assert.deepEqual(history.past, ["b", "c"]);
  });
});

describe("keepNotes", () => {
  const pin = (id, note) => ({ type: "pin", id, x: 1, y: 2, note });

  test("a pin that stays keeps the note typed since; other items and pins are as restored", () => {
    const restored = [pin(1, "old"), { type: "rect", id: 2, x: 0, y: 0, w: 5, h: 5 }, pin(3, "gone now")];
    const current = [pin(1, "typed since"), pin(4, "new pin")];
    const result = keepNotes(restored, current);
    assert.equal(result, restored);
    assert.deepEqual(result.map((item) => item.note), ["typed since", undefined, "gone now"]);
  });

  test("only pins lend notes", () => {
    const restored = [pin(1, "note")];
    assert.equal(keepNotes(restored, [{ type: "text", id: 1, text: "x", note: "not a note" }])[0].note, "note");
  });
});
