// The estimate editor's running total, without the DOM (unit-tested in tests/js): the rule of
// services/pointrules.estimate_totals — the sum of quantity x points, times the urgency
// multiplier, rounded UP to 0.5 pt — in integer tenths, so no float rounding creeps in.
const FULL_WIDTH = /[\uFF01-\uFF5E]/g;

export function ascii(text) {
  return String(text ?? "").replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).trim();
}

// Points as typed, in tenths ("2.5" -> 25, "1,000" -> 10000), or null for what the server refuses.
export function tenths(text) {
  const found = /^(\d+|\d{1,3}(?:,\d{3})+)?(?:\.(\d?))?$/.exec(ascii(text));
  if (!found || (!found[1] && !found[2])) return null;
  const value = Number((found[1] || "0").replaceAll(",", "")) * 10 + Number(found[2] || 0);
  return value > 0 && value <= 99990 ? value : null;
}

// A quantity as typed (blank means 1), or null outside 1-999.
export function quantity(text) {
  const typed = ascii(text);
  if (!typed) return 1;
  return /^\d{1,3}$/.test(typed) && Number(typed) >= 1 ? Number(typed) : null;
}

// A multiplier as a fraction of integers ("1.25" -> [125, 100]).
export function fraction(text) {
  const [whole, part = ""] = String(text || "1").split(".");
  const scale = 10 ** part.length;
  return [Number(whole) * scale + Number(part || 0), scale];
}

// The total in tenths of a subtotal in tenths: x multiplier, rounded up to 5 tenths.
export function total(subtotal, multiplier) {
  const [top, bottom] = fraction(multiplier);
  return Math.ceil((subtotal * top) / (bottom * 5)) * 5;
}

// Tenths as the pages write points: "12", "1.5", "1,000".
export function format(value) {
  return (value / 10).toLocaleString("en-US", { maximumFractionDigits: 1 });
}
