/**
 * Tag input as graphite-web reads an event's `tags` (django-tagging's
 * `parse_tag_input`): without commas or double quotes, words split on
 * spaces; otherwise double quotes group words (commas included), and the
 * rest splits on commas when one stands outside quotes, on spaces if not.
 * Words are stripped; the result is sorted and unique.
 */
export function parseTagInput(input: string): string[] {
  if (!input) return [];
  if (!input.includes(",") && !input.includes('"')) return sortedUnique(splitStrip(input, " "));
  const words: string[] = [];
  const toBeSplit: string[] = [];
  let buffer = "";
  let sawLooseComma = false;
  let openQuote = false;
  let i = 0;
  // Python's iterator loop, which ends (StopIteration) wherever the input runs out, inside a quote too.
  scan: while (i < input.length) {
    let c = input[i++];
    if (c === '"') {
      if (buffer) toBeSplit.push(buffer);
      buffer = "";
      openQuote = true;
      if (i >= input.length) break;
      c = input[i++];
      while (c !== '"') {
        buffer += c;
        if (i >= input.length) break scan;
        c = input[i++];
      }
      const word = pyStrip(buffer);
      if (word) words.push(word);
      buffer = "";
      openQuote = false;
    } else {
      if (c === ",") sawLooseComma = true;
      buffer += c;
    }
  }
  // An unclosed quote's text is read as unquoted.
  if (buffer) {
    if (openQuote && buffer.includes(",")) sawLooseComma = true;
    toBeSplit.push(buffer);
  }
  const delimiter = sawLooseComma ? "," : " ";
  for (const chunk of toBeSplit) words.push(...splitStrip(chunk, delimiter));
  return sortedUnique(words);
}

/** Python's whitespace (`str.isspace`): JavaScript's `\s` without U+FEFF, plus U+001C..U+001F and U+0085. */
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const EDGES = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");

/** Python's `str.strip()`. */
function pyStrip(s: string): string {
  return s.replace(EDGES, "");
}

function splitStrip(input: string, delimiter: string): string[] {
  return input.split(delimiter).map(pyStrip).filter((w) => w !== "");
}

/** Sorted by code point, as Python sorts strings. */
function sortedUnique(words: string[]): string[] {
  return [...new Set(words)].sort(byCodePoint);
}

export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
