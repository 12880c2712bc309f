/**
 * How a torus answer is held to graphite-web's: structures and text exactly, numbers within a relative 1e-9
 * (graphite-web adds floats in its own order), text bodies (csv, raw, jsonp) token by token.
 */

export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
}

const TOLERANCE = 1e-9;

export function sameNumber(a: number, b: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Every place `actual` differs from `expected` (at most 20). */
export function compareBodies(expected: unknown, actual: unknown): Mismatch[] {
  const out: Mismatch[] = [];
  walk(expected, actual, "$", out);
  return out;
}

function walk(e: unknown, a: unknown, path: string, out: Mismatch[]): void {
  if (out.length >= 20) return;
  if (typeof e === "number" && typeof a === "number") {
    if (!sameNumber(e, a)) out.push({ path, expected: e, actual: a });
    return;
  }
  if (typeof e === "string" && typeof a === "string") {
    compareText(e, a, path, out);
    return;
  }
  if (Array.isArray(e) && Array.isArray(a)) {
    if (e.length !== a.length) out.push({ path: `${path}.length`, expected: e.length, actual: a.length });
    for (let i = 0; i < Math.min(e.length, a.length); i++) walk(e[i], a[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(e) && isObject(a)) {
    const ek = Object.keys(e);
    const ak = Object.keys(a);
    if (ek.join() !== ak.join() && [...ek].sort().join() !== [...ak].sort().join()) out.push({ path: `${path} keys`, expected: ek, actual: ak });
    for (const k of ek) if (k in a) walk(e[k], a[k], `${path}.${k}`, out);
    return;
  }
  if (e !== a) out.push({ path, expected: e, actual: a });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSONP body compares as its JSON; other text as tokens between `,`, `|` and line ends, numbers as numbers. */
function compareText(e: string, a: string, path: string, out: Mismatch[]): void {
  if (e === a) return;
  const jsonp = /^(\w+)\(([\s\S]*)\)$/;
  const je = jsonp.exec(e);
  const ja = jsonp.exec(a);
  if (je && ja && je[1] === ja[1]) {
    try {
      walk(JSON.parse(je[2]), JSON.parse(ja[2]), `${path} ${je[1]}()`, out);
      return;
    } catch {
      // not JSON inside: compare as text
    }
  }
  const te = e.split(/([,|\n])/);
  const ta = a.split(/([,|\n])/);
  if (te.length !== ta.length) {
    out.push({ path: `${path} tokens`, expected: e.slice(0, 300), actual: a.slice(0, 300) });
    return;
  }
  for (let i = 0; i < te.length; i++) {
    const x = te[i];
    const y = ta[i];
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (x.trim() !== "" && y.trim() !== "" && Number.isFinite(nx) && Number.isFinite(ny) && sameNumber(nx, ny)) continue;
    out.push({ path: `${path} token ${i}`, expected: x, actual: y });
    if (out.length >= 20) return;
  }
}

/**
 * A render JSON body (an array of series) without their `tags`, and the tags apart; other bodies unchanged with
 * `tags: null`. Tags are held to graphite-web separately: Grafana only turns them into labels.
 */
export function splitTags(body: unknown): { body: unknown; tags: unknown[] | null } {
  if (!Array.isArray(body) || body.length === 0 || !body.every((s) => isObject(s) && "datapoints" in s)) return { body, tags: null };
  return {
    body: body.map((s) => Object.fromEntries(Object.entries(s as Record<string, unknown>).filter(([k]) => k !== "tags"))),
    tags: body.map((s) => (s as Record<string, unknown>).tags ?? null),
  };
}

/** `body` without the given keys at any depth (what capture.py's "drop" did to graphite-web's answer). */
export function dropKeys(body: unknown, keys: readonly string[]): unknown {
  if (keys.length === 0) return body;
  if (Array.isArray(body)) return body.map((b) => dropKeys(b, keys));
  if (isObject(body)) return Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)).map(([k, v]) => [k, dropKeys(v, keys)]));
  return body;
}
