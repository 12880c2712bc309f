/**
 * Retained heap per stat name held by the long-lived name caches: the
 * router's route cache and a store's name-id cache. Names come from the
 * real plaintext parser, so each is cut from its decoded line as in karbon.
 * "view" is a Map keyed by the parser's strings as they come (what the
 * router kept before it copied names flat); "router" and "name cache" are
 * the real ones. The name cache's own estimate (`entryBytes`) is printed
 * beside it: it must not be below what is measured, or its bound would not hold.
 *
 * Run: `node --expose-gc --import tsx bench/name-memory.ts [names]` (default 20,000).
 */
import { parseLine } from "../src/ingest/protocols/plaintext/plaintext-parser.js";
import { Router } from "../src/routing/router.js";
import { NameCache, entryBytes } from "../src/timeseries/backends/name-cache.js";

const N = Number(process.argv[2] ?? 20_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

/** `N` names of about `nameLength` characters, each parsed from a line whose value has `valueLength` characters. */
function parsedNames(nameLength: number, valueLength: number, each: (name: string) => void, fill = "x"): void {
  const value = valueLength <= 1 ? "1" : "v ".repeat(valueLength / 2).trim();
  const sink = { point: (name: string) => each(name), bad: () => {} };
  for (let i = 0; i < N; i++) {
    const name = `stats.n${i}.`.padEnd(nameLength, fill);
    const buf = Buffer.from(`${name} ${value} 1764000000\n`, "utf8");
    parseLine(buf, 0, buf.length - 1, sink);
  }
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** Bytes per name retained by whatever `fill` builds and returns. */
function retained(fill: () => unknown): number {
  const before = heap();
  const kept = fill();
  const after = heap();
  if (!kept) throw new Error("nothing kept");
  return (after - before) / N;
}

const shapes: Array<[string, number, number, string?]> = [
  ["statsd-like name, short value", 60, 1],
  ["short name, 4 KB value", 40, 4000],
  ["4 KB name, short value", 4000, 1],
  ["60 characters of CJK", 60, 1, "名"],
];
const schema = { matches: () => true };
console.log(`bytes retained per name, ${N} names`);
console.log("shape".padEnd(32), "view".padStart(8), "router".padStart(8), "name cache".padStart(11), "estimate".padStart(9));
for (const [label, nameLength, valueLength, fill] of shapes) {
  const view = retained(() => {
    const m = new Map<string, number>();
    parsedNames(nameLength, valueLength, (n) => m.set(n, 1), fill);
    return m;
  });
  const router = retained(() => {
    const r = new Router([schema], []);
    parsedNames(nameLength, valueLength, (n) => r.route(n), fill);
    return r;
  });
  let estimate = 0;
  const cache = retained(() => {
    const c = new NameCache(1024 * 1024 * 1024);
    let id = 0;
    parsedNames(nameLength, valueLength, (n) => {
      c.set("p", n, id++);
      estimate += entryBytes(n);
    }, fill);
    return c;
  });
  console.log(label.padEnd(32), view.toFixed(0).padStart(8), router.toFixed(0).padStart(8), cache.toFixed(0).padStart(11), (estimate / N).toFixed(0).padStart(9));
}
