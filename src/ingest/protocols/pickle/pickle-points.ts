/**
 * From an unpickled frame to points: `[(name, (timestamp, value)), ...]`,
 * each element checked on its own, so one bad point is counted and the rest
 * of the frame still lands. What reaches the sink is what a plaintext line
 * would give: a name with no blank in it, the value as text (the schema's
 * `write_func` decides what it means), whole seconds >= 0.
 *
 * @module
 */
import type { PointSink } from "../protocol.js";
import type { PickleReason } from "./pickle-reasons.js";
import { NotUtf8, Pair, Seq, Spaced, type PickleValue } from "./unpickler.js";

/** A timestamp as text, as carbon reads it (`float()`): decimals and exponents, blanks around allowed. */
const TIMESTAMP_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/**
 * Hand every point of a decoded frame to `sink`.
 * @param maxNameLength - names longer than this (UTF-16 units) are bad, as plaintext bounds its lines.
 */
export function emitPoints(top: PickleValue, sink: PointSink<PickleReason>, maxNameLength: number): void {
  // A pair at the top is a tuple of two points (or of anything else: each is checked).
  const items = top instanceof Seq ? top.items : top instanceof Pair ? [top.a, top.b] : null;
  if (items === null) {
    sink.bad("pickle_not_a_list", excerpt(top));
    return;
  }
  for (let k = 0; k < items.length; k++) {
    const el = asPair(items[k]);
    const datapoint = el === null ? null : asPair(el.b);
    if (el === null || datapoint === null) {
      sink.bad("pickle_bad_point", excerpt(items[k]));
      continue;
    }
    const name = el.a;
    const ts = datapoint.a;
    // Text with blanks is fine as a value (plaintext takes `foo bar` too), never as a name.
    const value = datapoint.b instanceof Spaced ? datapoint.b.text : datapoint.b;
    // The usual point first: a text name (without blanks: those are Spaced), a number timestamp and value, each tested once.
    if (typeof name === "string" && typeof ts === "number" && typeof value === "number") {
      if (name.length === 0 || name.length > maxNameLength) sink.bad("pickle_bad_name", excerpt(el));
      else if (!(ts >= 0 && ts < 2 ** 53)) sink.bad("pickle_bad_timestamp", excerpt(el));
      else sink.point(name, String(value), Math.trunc(ts) + 0);
      continue;
    }
    if (name instanceof NotUtf8 || value instanceof NotUtf8 || ts instanceof NotUtf8) {
      sink.bad("pickle_bad_utf8", excerpt(el));
      continue;
    }
    if (name instanceof Spaced) {
      sink.bad("pickle_bad_name", excerpt(el));
      continue;
    }
    if (typeof name !== "string" || (typeof value !== "string" && typeof value !== "number")) {
      sink.bad("pickle_bad_point", excerpt(el));
      continue;
    }
    if (name.length === 0 || name.length > maxNameLength) {
      sink.bad("pickle_bad_name", excerpt(el));
      continue;
    }
    const seconds = timestampOf(ts);
    if (seconds < 0) {
      sink.bad("pickle_bad_timestamp", excerpt(el));
      continue;
    }
    // A number is handed on in JavaScript's shortest round-trip form: 1.0 and 1 are the same "1", as they are to carbon's float().
    sink.point(name, typeof value === "string" ? value : String(value), seconds);
  }
}

/** Two items, from a TUPLE2 or from a list of two (a sender that is not Python may write either); null for anything else. */
function asPair(v: PickleValue): Pair | null {
  if (v instanceof Pair) return v;
  if (v instanceof Seq && v.items.length === 2) return new Pair(v.items[0], v.items[1], v.depth);
  return null;
}

/** Whole seconds, or -1 when not a finite number >= 0 that truncates to a safe integer. */
function timestampOf(ts: PickleValue): number {
  let x: number;
  const t = ts instanceof Spaced ? ts.text : ts;
  if (typeof t === "number") x = t;
  else if (typeof t === "string" && TIMESTAMP_TEXT.test(t)) x = Number(t);
  else return -1;
  if (!(x >= 0 && x < 2 ** 53)) return -1;
  return Math.trunc(x) + 0;
}

/** A short Python-like rendering of a value for logs: at most about 200 characters. */
export function excerpt(v: PickleValue): string {
  const out = { text: "" };
  render(v, out, 0);
  return out.text.length > 200 ? `${out.text.slice(0, 200)}…` : out.text;
}

function render(v: PickleValue, out: { text: string }, depth: number): void {
  if (out.text.length > 200) return;
  if (v === null) out.text += "None";
  else if (typeof v === "number") out.text += String(v);
  else if (typeof v === "string") out.text += JSON.stringify(v.length > 200 ? v.slice(0, 200) : v);
  else if (v instanceof NotUtf8) out.text += `b${JSON.stringify(v.excerpt)}`;
  else if (v instanceof Spaced) out.text += JSON.stringify(v.text.length > 200 ? v.text.slice(0, 200) : v.text);
  else if (depth > 4) out.text += "…";
  else if (v instanceof Pair) {
    out.text += "(";
    render(v.a, out, depth + 1);
    out.text += ", ";
    render(v.b, out, depth + 1);
    out.text += ")";
  } else {
    out.text += v.tuple ? "(" : "[";
    for (let k = 0; k < v.items.length && out.text.length <= 200; k++) {
      if (k > 0) out.text += ", ";
      render(v.items[k], out, depth + 1);
    }
    out.text += v.tuple ? ")" : "]";
  }
}
