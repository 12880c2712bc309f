/**
 * The tag indexes behind `seriesByTag` and the tag API: 100,000 tagged
 * series (5 tags each), `seriesByTag('name=disk.used','datacenter=dc1')`
 * resolving 1,000 of them, and autocomplete. First the in-memory index (and
 * its memory per name), then the stored index of a SQLite file (the same
 * lookups as the query side makes them, see tag-search.ts), and what the
 * stored index adds to the first flush of new names.
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

// The stored index: the same names in a SQLite file, written through the store as karbon writes them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memorySearch, storedSearch } from "../src/query/graphite-api/tag-search.js";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries, WriteBatch } from "../src/timeseries/index.js";

async function firstFlush(store: SqliteStore, prefix: string, list: readonly string[]): Promise<{ ts: Timeseries; ms: number }> {
  const ts = new Timeseries(store, { type: "gauge", prefix, intervals: { minute: { step: 60, steps: 1440 } } });
  const now = Math.floor(Date.now() / 1000);
  let ms = 0;
  for (let i = 0; i < list.length; i += 10_000) {
    const batch = new WriteBatch();
    for (const n of list.slice(i, i + 10_000)) ts.stage(batch, n, 1, now);
    const t = performance.now();
    await store.write(batch);
    ms += performance.now() - t;
  }
  return { ts, ms };
}

async function timeAsync(label: string, fn: () => Promise<number>, runs = 30): Promise<void> {
  const ms: number[] = [];
  let n = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    n = await fn();
    ms.push(performance.now() - t);
  }
  console.log(`${label.padEnd(60)} ${String(n).padStart(6)} found   median ${median(ms).toFixed(2)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), "torus-bench-tags-"));
try {
  // A name cache that holds every prefix's names: "already met" must mean met.
  const store = new SqliteStore(`sqlite:///${join(dir, "tags.db")}`, { name_cache_mb: 512 });
  const untagged = all.map((n) => n.replaceAll(";", ".").replaceAll("=", "_"));
  // Alternated: the index costs what it costs on new names only (a flush of names already met writes no index rows).
  const flushes: Record<string, number[]> = { tagged: [], untagged: [], taggedAgain: [], untaggedAgain: [] };
  for (let round = 0; round < 2; round++) {
    flushes.untagged.push((await firstFlush(store, `u${round}`, untagged)).ms);
    flushes.tagged.push((await firstFlush(store, `t${round}`, all)).ms);
    // The same names again (the next minute's points): names already met, no index rows.
    flushes.untaggedAgain.push((await firstFlush(store, `u${round}`, untagged)).ms);
    flushes.taggedAgain.push((await firstFlush(store, `t${round}`, all)).ms);
  }
  const { ts } = await firstFlush(store, "q", all);
  const f = (k: string) => median(flushes[k]).toFixed(0);
  console.log(`\nSQLite file, 100,000 names in 10 flushes: new names tagged ${f("tagged")} ms (index included), untagged ${f("untagged")} ms; names already met: tagged ${f("taggedAgain")} ms, untagged ${f("untaggedAgain")} ms`);
  const search = storedSearch([{ store, ns: ts.ns }]);
  const find = (exprs: string[]) => async () => (await search.find(compileTagQuery(exprs))).length;
  await timeAsync("stored: seriesByTag('name=disk.used','datacenter=dc1')", find(["name=disk.used", "datacenter=dc1"]));
  await timeAsync("stored: seriesByTag('name=~disk','datacenter=~dc[12]','env!=dev')", find(["name=~disk", "datacenter=~dc[12]", "env!=dev"]));
  await timeAsync("stored: seriesByTag('host=~web0000')", find(["host=~web0000"]));
  await timeAsync("stored: autoComplete/values?tag=host&valuePrefix=web01", async () => (await search.values("host", "web01", 100)).length);
  await timeAsync("stored: autoComplete/values?tag=datacenter", async () => (await search.values("datacenter", "", 100)).length);
  await timeAsync("stored: autoComplete/tags", async () => (await search.tags("", 100)).length);
  await timeAsync("stored: /tags/datacenter (values with counts)", async () => (await search.counts("datacenter"))?.length ?? 0, 10);
  const memory = memorySearch(idx);
  await timeAsync("memory: autoComplete/values?tag=host&valuePrefix=web01", async () => (await memory.values("host", "web01", 100)).length);
  await timeAsync("memory: autoComplete/values?tag=datacenter", async () => (await memory.values("datacenter", "", 100)).length);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The stored index on Redis (opt in: `TAGS_BENCH_REDIS=1`, server at TORUS_TEST_REDIS_URL): the same names and lookups.
import { RedisStore } from "../src/timeseries/backends/redis/redis-store.js";
import { TEST_REDIS_URL } from "../src/timeseries/testing/redis-test-cluster.js";

if (process.env.TAGS_BENCH_REDIS === "1") {
  const store = await RedisStore.open(TEST_REDIS_URL);
  const prefix = `benchtags${process.pid}`;
  const ts = new Timeseries(store, { type: "gauge", prefix, intervals: { minute: { step: 60, steps: 1440 } } });
  const now = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += 10_000) {
    const batch = new WriteBatch();
    for (const n of all.slice(i, i + 10_000)) ts.stage(batch, n, 1, now);
    await store.write(batch);
  }
  console.log(`\nRedis, 100,000 new tagged names in 10 flushes: ${(performance.now() - t0).toFixed(0)} ms (index included)`);
  const search = storedSearch([{ store: store as Parameters<typeof storedSearch>[0][number]["store"], ns: ts.ns }]);
  await timeAsync("redis: seriesByTag('name=disk.used','datacenter=dc1')", async () => (await search.find(compileTagQuery(["name=disk.used", "datacenter=dc1"]))).length, 20);
  await timeAsync("redis: autoComplete/values?tag=host&valuePrefix=web01", async () => (await search.values("host", "web01", 100)).length, 20);
  await timeAsync("redis: autoComplete/tags", async () => (await search.tags("", 100)).length, 20);
  await store.deleteAll(ts.ns);
  // What deleteAll leaves: the registry and the empty index sets are gone with their last member; nothing else is kept.
  await store.close();
}
