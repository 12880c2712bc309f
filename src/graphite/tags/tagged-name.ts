/**
 * Graphite 1.1 tagged names, read and written exactly as graphite-web's and
 * carbon's `TaggedSeries` (`parse`, `validateTagAndValue`, `format`):
 * `disk.used;host=web01;datacenter=dc1` and the OpenMetrics-like
 * `disk.used{host="web01",datacenter="dc1"}` both become the canonical
 * `disk.used;datacenter=dc1;host=web01`.
 *
 * @module
 */
import { compareCodePoints } from "../../timeseries/tag-pairs.js";

/** A name that cannot be read as a tagged series; the message is graphite-web's. */
export class TaggedNameError extends Error {
  override readonly name = "TaggedNameError";
}

/** Tag keys may not hold these (graphite-web's `prohibitedTagChars`). */
const PROHIBITED_TAG_CHARS = [";", "!", "^", "="];

/**
 * Whether a name is read as tagged at all: it holds `;`, or ends in `"}`
 * with a `{` before (graphite-web's test for the OpenMetrics form). The
 * `;` test comes first and the second costs one character read, so untagged
 * names pay almost nothing.
 */
export function isTaggedName(path: string): boolean {
  if (path.indexOf(";") >= 0) return true;
  const n = path.length;
  return n >= 2 && path.charCodeAt(n - 1) === 0x7d && path.charCodeAt(n - 2) === 0x22 && path.indexOf("{") >= 0;
}

/** graphite-web's `validateTagAndValue`: throws {@link TaggedNameError} with its message. */
export function validateTagAndValue(tag: string, value: string): void {
  if (tag.length === 0) throw new TaggedNameError("Tag may not be empty");
  if (value.length === 0) throw new TaggedNameError(`Value for tag "${tag}" may not be empty`);
  for (const char of PROHIBITED_TAG_CHARS) {
    if (tag.includes(char)) throw new TaggedNameError(`Character "${char}" is not allowed in tag "${tag}"`);
  }
  if (value.includes(";")) throw new TaggedNameError(`Character ";" is not allowed in value "${value}" of tag ${tag}`);
  if (value[0] === "~") throw new TaggedNameError(`Tag values are not allowed to start with "~" in tag "${tag}"`);
}

/** The tags of a name, `name` (the metric part, leading `~` stripped) included; graphite-web's `TaggedSeries.parse(path).tags`. */
export function parseTaggedName(path: string): Record<string, string> {
  if (path.endsWith('"}') && path.includes("{")) return parseOpenMetrics(path);
  return parseCarbon(path);
}

function parseCarbon(path: string): Record<string, string> {
  const segments = path.split(";");
  const metric = segments[0];
  if (!metric) throw new TaggedNameError(`Cannot parse path ${path}, no metric found`);
  const tags: Record<string, string> = Object.create(null);
  for (let k = 1; k < segments.length; k++) {
    const segment = segments[k];
    const eq = segment.indexOf("=");
    // Python's split('=', 1): a missing `=` or an empty key is a bad segment.
    if (eq <= 0) throw new TaggedNameError(`Cannot parse path ${path}, invalid segment ${segment}`);
    const tag = segment.slice(0, eq);
    const value = segment.slice(eq + 1);
    validateTagAndValue(tag, value);
    tags[tag] = value;
  }
  tags.name = sanitizeNameAsTagValue(metric);
  return tags;
}

/** One `tag="value"` pair of the OpenMetrics form; `(:?,|$)` is graphite-web's own (it lets `:,` separate too). */
const OPENMETRICS_SEGMENT = /^([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$)/;

function parseOpenMetrics(path: string): Record<string, string> {
  const body = path.slice(0, -1);
  const parts = body.split("{");
  // Python's `(metric, rawtags) = s.split('{', 2)` fails on a second `{`.
  if (parts.length !== 2) throw new TaggedNameError(`Cannot parse path ${path}, expected one "{"`);
  const metric = parts[0];
  let raw = parts[1];
  if (!metric) throw new TaggedNameError(`Cannot parse path ${path}, no metric found`);
  const tags: Record<string, string> = Object.create(null);
  while (raw.length > 0) {
    const m = OPENMETRICS_SEGMENT.exec(raw);
    if (m === null) throw new TaggedNameError(`Cannot parse path ${path}, invalid segment ${raw}`);
    const tag = m[1];
    const value = m[2].replaceAll('\\"', '"').replaceAll("\\\\", "\\");
    validateTagAndValue(tag, value);
    tags[tag] = value;
    raw = raw.slice(m[0].length);
  }
  tags.name = sanitizeNameAsTagValue(metric);
  return tags;
}

function sanitizeNameAsTagValue(name: string): string {
  let i = 0;
  while (i < name.length && name[i] === "~") i++;
  if (i === name.length) throw new TaggedNameError(`Cannot use metric name ${name} as tag value, results in emptry string`);
  return i === 0 ? name : name.slice(i);
}

/** Python's string order (by code point): the order the stores' tag index keeps too. */
export { compareCodePoints };

/**
 * graphite-web's `TaggedSeries.format`: `name` then the `;tag=value`
 * segments sorted as strings (so by key, `;` and `=` taking part in the order).
 */
export function formatTaggedName(tags: Record<string, string>): string {
  const segments: string[] = [];
  for (const tag of Object.keys(tags)) if (tag !== "name") segments.push(`;${tag}=${tags[tag]}`);
  segments.sort(compareCodePoints);
  return (tags.name ?? "") + segments.join("");
}

/** The canonical form of a tagged name; throws {@link TaggedNameError}. */
export function canonicalTaggedName(path: string): string {
  return formatTaggedName(parseTaggedName(path));
}

/**
 * The tags of a canonical (already validated) name in the order render JSON
 * lists them: the tags as written, then `name` last, as graphite-web adds it.
 */
export function tagsOfCanonical(path: string): Record<string, string> {
  const tags: Record<string, string> = {};
  let i = path.indexOf(";");
  const metric = i < 0 ? path : path.slice(0, i);
  while (i >= 0) {
    const next = path.indexOf(";", i + 1);
    const segment = next < 0 ? path.slice(i + 1) : path.slice(i + 1, next);
    const eq = segment.indexOf("=");
    if (eq > 0) tags[segment.slice(0, eq)] = segment.slice(eq + 1);
    i = next;
  }
  tags.name = metric;
  return tags;
}
