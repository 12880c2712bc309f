/**
 * The tag index behind `seriesByTag`: 100,000 tagged series (5 tags each),
 * `seriesByTag('name=disk.used','datacenter=dc1')` resolving 1,000 of them,
 * and the index's memory per name. Index only (no store reads).
 *
 * Run: `npx tsx --expose-gc bench/tags.ts` (node's --expose-gc for the memory figure).
 */
import { compileTagQuery } from "../src/graphite/tags/tag-expression.js";
import { TagIndex } from "../src/graphite/tags/tag-index.js";

const SERIES = 100_000;
const METRICS = ["disk.used", "disk.free", "cpu.user", "cpu.system", "mem.used", "mem.free", "net.rx", "net.tx", "load.1", "load.5"];

function names(): string[] {
  const out: string[] = [];
  for (let i = 0; i < SERIES; i++) {
    const metric = METRICS[i % METRICS.length];
    const k = Math.floor(i / METRICS.length);
    out.push(`${metric};app=app${k % 50};datacenter=dc${k % 10};env=${k % 3 === 0 ? "prod" : "dev"};host=web${String(k).padStart(5, "0")};rack=r${k % 40}`);
  }
  return out;
}

const gc = (globalThis as { gc?: () => void }).gc;
const all = names();
gc?.();
const before = process.memoryUsage().heapUsed;
const idx = new TagIndex();
const t0 = performance.now();
idx.add(all, "bench");
const buildMs = performance.now() - t0;
gc?.();
const bytes = process.memoryUsage().heapUsed - before;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(label: string, exprs: string[], runs = 50): void {
  const ms: number[] = [];
  let n = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    n = idx.find(compileTagQuery(exprs)).length;
    ms.push(performance.now() - t);
  }
  console.log(`${label.padEnd(60)} ${String(n).padStart(6)} series  median ${median(ms).toFixed(2)} ms`);
}

console.log(`${SERIES} series indexed in ${buildMs.toFixed(0)} ms; ${gc ? `${(bytes / SERIES).toFixed(0)} bytes/name (index only, names excluded)` : "run with --expose-gc for memory"}`);
time("seriesByTag('name=disk.used','datacenter=dc1')", ["name=disk.used", "datacenter=dc1"]);
time("seriesByTag('name=~disk','datacenter=~dc[12]','env!=dev')", ["name=~disk", "datacenter=~dc[12]", "env!=dev"]);
time("seriesByTag('host=~web0000')", ["host=~web0000"]);

// Ingest: what the dispatcher adds per point for a name (the `;` test, then the remembered canonical form).
import { TaggedNames } from "../src/ingest/pipeline/tagged-names.js";
function perPoint(label: string, stats: string[]): void {
  const tn = new TaggedNames();
  const ms: number[] = [];
  let sink = 0;
  const N = 2_000_000;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      const s = stats[i % stats.length];
      if (s.indexOf(";") >= 0 || s.charCodeAt(s.length - 1) === 0x7d) {
        const c = tn.canonical(s);
        sink += typeof c === "string" ? c.length : 0;
      } else sink += s.length;
    }
    ms.push(performance.now() - t);
  }
  console.log(`${label.padEnd(60)} ${((median(ms) * 1e6) / N).toFixed(1)} ns/point (${sink > 0 ? "ok" : ""})`);
}
// Tags out of order, as senders write them: the metric, then the tags reversed.
const written = all.slice(0, 10_000).map((n) => {
  const [metric, ...tags] = n.split(";");
  return [metric, ...tags.reverse()].join(";");
});
perPoint("untagged names (10,000 distinct)", Array.from({ length: 10_000 }, (_, i) => `servers.web${i}.cpu.user`));
perPoint("tagged names written out of order (10,000 distinct)", written);
