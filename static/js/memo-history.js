// 画面メモ: 元に戻す / やり直す, without the DOM. The history keeps whole copies of the drawing
// (it is small: at most 50 pins and what a person draws by hand) taken before each change.

export const HISTORY_MAX = 200;  // steps 元に戻す can go back

export class History {
  constructor(limit = HISTORY_MAX) {
    this.limit = limit;
    this.past = [];
    this.future = [];
    this.lastKey = null;
  }

  get canUndo() { return this.past.length > 0; }

  get canRedo() { return this.future.length > 0; }

  // Before each change: remember the drawing as it was. Repeated steps of one move (arrow keys
  // held down) share `key`, so one 元に戻す takes the whole move back. A new change forgets
  // what could be redone.
  checkpoint(before, key = null) {
    if (key && key === this.lastKey) return;
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
    this.lastKey = key;
  }

  // The drawing one step back (or forward), given the current one to keep for the way back;
  // null when there is nothing to go to.
  undo(current) { return this.#restore(this.past, this.future, current); }

  redo(current) { return this.#restore(this.future, this.past, current); }

  #restore(from, to, current) {
    if (!from.length) return null;
    to.push(current);
    this.lastKey = null;
    return from.pop();
  }
}

// Notes are typed text with the textarea's own undo: a pin that stays across 元に戻す keeps what
// was typed into it. Sets the notes of `current`'s pins on the same pins of `restored`.
export function keepNotes(restored, current) {
  const notes = new Map(current.filter((item) => item.type === "pin").map((pin) => [pin.id, pin.note]));
  for (const item of restored) if (item.type === "pin" && notes.has(item.id)) item.note = notes.get(item.id);
  return restored;
}
