import type { NewEvent } from "../../../timeseries/index.js";
import { QueryError, QueryErrorCodes } from "../../query-error.js";
import { parseTagInput } from "./tag-input.js";

/** graphite-web's column for `what`, and django-tagging's MAX_TAG_LENGTH. */
export const MAX_WHAT_LENGTH = 255;
export const MAX_TAG_LENGTH = 50;
/** Years 1 to 9999, the dates graphite-web (Python's datetime) can hold. */
const MIN_WHEN = -62_135_596_800;
const MAX_WHEN = 253_402_300_799;
const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/** Text UTF-8 cannot carry (a lone surrogate): refused rather than changed, like NUL, which PostgreSQL cannot store. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const bad = (message: string, field?: string) => new QueryError(400, QueryErrorCodes.BAD_EVENT, message, field);
const shown = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Characters as Python (and the SQL column limits) count them: code points, not UTF-16 units. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function checkText(field: string, s: string): string {
  if (s.includes("\u0000") || LONE_SURROGATE.test(s)) throw bad(`"${field}" holds a NUL character or a lone UTF-16 surrogate, which cannot be stored`, field);
  return s;
}

/**
 * An event from a `POST /events/` body, read as graphite-web reads it: the
 * body is JSON whatever its content type (curl's `-d` sends a form type),
 * an object with `what`, optional `tags` (a list, or a string read like
 * django-tagging's input), `when` (Unix seconds; now when absent) and
 * `data` (text; anything else is kept as its JSON). Where graphite-web
 * fails with a 500 (no `what`, a `when` that is not a number), this is a
 * 400 naming the field.
 */
export function parseEventBody(body: Buffer | undefined, now: number): NewEvent {
  if (body === undefined || body.length === 0) throw bad('the body is empty: send the event as JSON, e.g. {"what": "deploy", "tags": ["prod"]}');
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw bad("the body is not UTF-8 text");
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    throw bad(`the body is not JSON (${(err as Error).message}): ${shown(text.slice(0, 60))}`);
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw bad(`the body must be a JSON object, got ${shown(event)}`);
  const e = event as Record<string, unknown>;
  return { what: whatOf(e.what), tags: tagsOf(e.tags), when: whenOf(e.when, now), data: dataOf(e.data) };
}

function whatOf(what: unknown): string {
  if (what === undefined || what === null) throw bad('"what" is required: the event\'s title, e.g. "deploy web 1.2"', "what");
  if (typeof what !== "string") throw bad(`"what" must be a string, got ${shown(what)}`, "what");
  if (what.trim() === "") throw bad('"what" is empty: give the event a title', "what");
  const length = codePoints(what);
  if (length > MAX_WHAT_LENGTH) throw bad(`"what" is ${length} characters, more than ${MAX_WHAT_LENGTH} (put the rest in "data")`, "what");
  return checkText("what", what);
}

function tagsOf(tags: unknown): string[] {
  if (tags === undefined || tags === null) return [];
  let input: string;
  if (typeof tags === "string") input = tags;
  else if (Array.isArray(tags)) {
    const wrong = tags.find((t) => typeof t !== "string");
    if (wrong !== undefined) throw bad(`"tags" must list strings, got ${shown(wrong)}`, "tags");
    // graphite-web joins a list with spaces and reads it as one input: a tag holding a space becomes two.
    input = tags.join(" ");
  } else throw bad(`"tags" must be an array or space-separated string, got ${shown(tags)}`, "tags");
  const out = parseTagInput(input);
  const long = out.find((t) => codePoints(t) > MAX_TAG_LENGTH);
  if (long !== undefined) throw bad(`tag ${shown(long)} is ${codePoints(long)} characters, more than ${MAX_TAG_LENGTH}`, "tags");
  for (const t of out) checkText("tags", t);
  return out;
}

function whenOf(when: unknown, now: number): number {
  if (when === undefined || when === null) return now;
  const n = typeof when === "number" ? when : typeof when === "string" && NUMBER.test(when) ? Number(when) : Number.NaN;
  if (!Number.isFinite(n)) throw bad(`"when" must be Unix seconds (a number such as 1700000000), got ${shown(when)}`, "when");
  if (n < MIN_WHEN || n > MAX_WHEN) throw bad(`"when" ${shown(when)} is out of range (years 1 to 9999)`, "when");
  return n;
}

function dataOf(data: unknown): string {
  if (data === undefined || data === null) return "";
  return checkText("data", typeof data === "string" ? data : JSON.stringify(data));
}
