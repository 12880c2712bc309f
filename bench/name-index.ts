/**
 * The `/metrics/find` name index at scale: build time, heap bytes per name
 * and find latency at 1,000,000 names, in two shapes:
 * - the issue's `f.l1_<i>.l2_<j>.m<k>` (100 × 100 × 100), and
 * - a collectd-like `collectd.host-<h>-prod-eu-west-1.cpu-<k>.value_<k%3>`
 *   (100,000 hosts × 10), where most nodes are unique strings with one child.
 *
 *     node --expose-gc --import tsx bench/name-index.ts [names]
 *
 * Targets (issue: Graphite render API): ≤ 100 bytes per name, median find ≤ 2 ms for
 * `f.l1_3.*` and ≤ 10 ms for `f.*.l2_5*.m1*`.
 */
import { NameIndex } from "../src/graphite/name-index.js";
import { median, percentile, printTable } from "./bench-util.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("run with node --expose-gc (see the header of bench/name-index.ts)");
  process.exit(2);
}

const total = Number(process.argv[2] ?? 1_000_000);
const side = Math.round(Math.cbrt(total));

interface Shape {
  label: string;
  /** The names, generated one by one so no list of a million strings sits in the heap being measured. */
  names: () => Generator<string>;
  finds: Array<[string, string]>;
}

const SHAPES: Shape[] = [
  {
    label: `f.l1_<i>.l2_<j>.m<k> (${side}³)`,
    *names() {
      for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) for (let k = 0; k < side; k++) yield `f.l1_${i}.l2_${j}.m${k}`;
    },
    finds: [
      ["f.l1_3.*", "≤ 2"],
      ["f.*.l2_5*.m1*", "≤ 10"],
      ["f.l1_3.l2_4.m5", ""],
      ["f.{l1_1,l1_2}.*", ""],
    ],
  },
  {
    label: `collectd.host-<h>-prod-eu-west-1.cpu-<k>.value_<k%3> (${(total / 10).toLocaleString("en-US")} hosts × 10)`,
    *names() {
      for (let h = 0; h < total / 10; h++) for (let k = 0; k < 10; k++) yield `collectd.host-${h}-prod-eu-west-1.cpu-${k}.value_${k % 3}`;
    },
    finds: [
      ["collectd.*", ""],
      ["collectd.host-4242-prod-eu-west-1.*", ""],
      ["collectd.host-1*.cpu-1.*", ""],
    ],
  },
];

function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage();
}

function timeFind(index: NameIndex, pattern: string, runs = 200): { med: number; p99: number; matches: number } {
  const samples: number[] = [];
  let matches = 0;
  for (let r = 0; r < runs + 20; r++) {
    const s = performance.now();
    matches = index.find(pattern).nodes.length;
    const ms = performance.now() - s;
    if (r >= 20) samples.push(ms); // the first runs warm the JIT
  }
  return { med: median(samples), p99: percentile(samples, 99), matches };
}

console.log(`name index benchmark, node ${process.version}`);
for (const shape of SHAPES) {
  const before = settle();
  const t0 = performance.now();
  let index: NameIndex | null = new NameIndex();
  index.replace("default", shape.names());
  const buildMs = performance.now() - t0;
  const after = settle();
  const count = index.size();

  let incremental: NameIndex | null = new NameIndex();
  const t1 = performance.now();
  let batch: string[] = [];
  for (const n of shape.names()) {
    batch.push(n);
    if (batch.length === 10_000) {
      incremental.add(batch, "default");
      batch = [];
    }
  }
  incremental.add(batch, "default");
  const addMs = performance.now() - t1;
  if (incremental.size() !== count) throw new Error(`incremental build has ${incremental.size()} names, expected ${count}`);
  incremental = null;

  console.log(`\n${shape.label}: ${count.toLocaleString("en-US")} names`);
  printTable(
    ["measure", "value", "target"],
    [
      ["build, replace() from a generator (ms)", buildMs, ""],
      ["build, add() in batches of 10,000 (ms)", addMs, ""],
      ["heap bytes / name (after gc)", (after.heapUsed - before.heapUsed) / count, "≤ 100"],
      ["RSS bytes / name (after gc)", (after.rss - before.rss) / count, ""],
    ],
  );
  const rows: Array<Array<string | number>> = [];
  for (const [pattern, target] of shape.finds) {
    const r = timeFind(index, pattern);
    rows.push([pattern, r.matches.toLocaleString("en-US"), r.med, r.p99, target]);
  }
  console.log();
  printTable(["find", "matches", "median ms", "p99 ms", "target median ms"], rows);
  index = null;
}
