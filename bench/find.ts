/**
 * `/metrics/find` at 1,000,000 stored names: names `f.l1_<i>.l2_<j>.m<k>`
 * (100 × 100 × 100) written through the SQLite store, torus's query app in
 * a child process answering over HTTP on loopback, with the default name
 * source (StoreNameSource) keeping the index.
 *
 *     node --expose-gc --import tsx bench/find.ts [names] [seconds]
 *
 * Prints, per request: the 1-client median (sequential requests) and the
 * 8-client req/s (autocannon); then the server's RSS and heap with and
 * without the index (bytes per name), what a full listing and an idle
 * check cost, and how long requests waited while a full listing ran.
 *
 * Targets (issue: Graphite render API): `f.l1_3.*` median ≤ 2 ms,
 * `f.*.l2_5*.m1*` ≤ 10 ms; the index ≤ 100 bytes per name.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { compileConfig } from "../src/config/index.js";
import { StoreNameSource } from "../src/query/graphite-api/store-name-source.js";
import { QueryMetrics, buildQueryApp } from "../src/query/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../src/timeseries/index.js";
import { median, percentile, printTable } from "./bench-util.js";

const NOW = 1_800_000_000;
const SELF = fileURLToPath(import.meta.url);

function configFor(file: string) {
  return compileConfig({ SCHEMAS: { f: { type: "count", match: ".", host: `sqlite:///${file}`, intervals: { minute: { step: 60, steps: 60 } } } } });
}

interface ServerReport {
  port: number;
  names: number;
  rssCold: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  firstListingMs: number;
  fullListingMs: number;
  idleCheckMs: number;
}

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage();
}

/** The child: the query app over the file, its index measured as it is built. */
async function serve(file: string): Promise<void> {
  const runtime = await buildRuntime(configFor(file), new StoreRegistry());
  const schema = runtime.schemas[0];
  // The baseline has read every name once too, so SQLite's page cache (up to
  // cache_mb, 64 MB) is as full as after the index's first listing: the
  // difference is the index. `rssCold` is before any listing.
  const cold = settle();
  for (let after = 0; ; ) {
    const page = await schema.store.listAfter!(schema.series.ns, after, 20_000);
    after = page.next;
    if (page.names.length < 20_000) break;
  }
  const before = settle();
  const metrics = new QueryMetrics();
  let t = performance.now();
  const names = new StoreNameSource({ runtime: () => runtime, registry: metrics.registry });
  await names.ready();
  const firstListingMs = performance.now() - t;
  const after = settle();
  // What one full listing costs once running (what the pacing divides by the share), as the source does it.
  const fullListing = async () => {
    const before = names.listings().full;
    const started = performance.now();
    names.forceFullListing();
    while (names.listings().full === before) await new Promise((r) => setTimeout(r, 5));
    return performance.now() - started;
  };
  // Less the wait for the next check (at most a second): measured from the metric the source sets.
  await fullListing();
  const fullListingMs = Number(/^torus_name_refresh_last_full_seconds (\S+)$/m.exec(await metrics.registry.metrics())![1]) * 1000;
  t = performance.now();
  for (let i = 0; i < 100; i++) await schema.store.listAfter!(schema.series.ns, Number.MAX_SAFE_INTEGER - 1);
  const idleCheckMs = (performance.now() - t) / 100;
  const app = buildQueryApp({ runtime: () => runtime, metrics, graphite: { names } });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  process.on("message", async (msg: { refresh?: boolean }) => {
    if (msg.refresh) {
      await fullListing();
      process.send!({ refreshed: true });
    }
  });
  const report: ServerReport = { port, names: names.index().size(), rssCold: cold.rss, rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed, firstListingMs, fullListingMs, idleCheckMs };
  process.send!(report);
}

async function seed(file: string, total: number): Promise<number> {
  const runtime = await buildRuntime(configFor(file), new StoreRegistry());
  const series = runtime.schemas[0].series;
  const side = Math.round(Math.cbrt(total));
  const t = performance.now();
  let batch = new WriteBatch();
  let n = 0;
  for (let i = 0; i < side; i++)
    for (let j = 0; j < side; j++)
      for (let k = 0; k < side; k++) {
        series.stage(batch, `f.l1_${i}.l2_${j}.m${k}`, 1, NOW, 0, NOW);
        if (++n % 50_000 === 0) {
          await series.store.write(batch);
          batch = new WriteBatch();
        }
      }
  await series.store.write(batch);
  await series.store.close();
  return performance.now() - t;
}

async function sequential(base: string, path: string, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const res = await fetch(base + path);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

async function load(base: string, path: string, seconds: number): Promise<{ rps: number; errors: number }> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => autocannon({ url: base + path, connections: 8, duration: seconds }, (err, res) => (err ? reject(err) : resolve(res))));
  return { rps: result.requests.average, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const seconds = Number(process.argv[3] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "torus-bench-find-"));
  const file = join(dir, "find.db");
  let child: ChildProcess | null = null;
  try {
    const seedMs = await seed(file, total);
    console.log(`${total.toLocaleString("en-US")} names written through the SQLite store in ${(seedMs / 1000).toFixed(1)} s`);
    child = fork(SELF, ["serve", file], { execArgv: ["--expose-gc", "--import", "tsx"] });
    const report = await new Promise<ServerReport>((resolve, reject) => {
      child!.once("message", (m) => resolve(m as ServerReport));
      child!.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${report.port}`;
    const finds: Array<[string, string]> = [
      ["/metrics/find?query=f.l1_3.*", "≤ 2"],
      ["/metrics/find?query=f.*.l2_5*.m1*", "≤ 10"],
      ["/metrics/find?query=f.l1_3.l2_4.m5", ""],
    ];
    const rows: Array<Array<string | number>> = [];
    for (const [path, target] of finds) {
      const body = await (await fetch(base + path)).json();
      await sequential(base, path, 20);
      const times = await sequential(base, path, 200);
      const { rps, errors } = await load(base, path, seconds);
      rows.push([path, String((body as unknown[]).length), median(times), percentile(times, 99), target, Math.round(rps), errors]);
    }
    printTable(["request", "entries", "1 client median ms", "p99 ms", "target ms", "8 clients req/s", "errors"], rows);

    // Requests while a full listing of every name runs beside them.
    const during: number[] = [];
    const refreshed = new Promise<void>((resolve) => child!.once("message", () => resolve()));
    let done = false;
    const t = performance.now();
    child.send({ refresh: true });
    void refreshed.then(() => (done = true));
    while (!done) during.push(...(await sequential(base, "/metrics/find?query=f.l1_3.*", 1)));
    const refreshWall = performance.now() - t;

    const mb = (b: number) => (b / 1048576).toFixed(1);
    console.log();
    printTable(
      ["server memory", "without index MB", "with index MB", "bytes/name"],
      [
        ["RSS (names read once before, page cache warm)", mb(report.rssBefore), mb(report.rssAfter), Math.round((report.rssAfter - report.rssBefore) / report.names)],
        ["RSS (from a cold start)", mb(report.rssCold), mb(report.rssAfter), Math.round((report.rssAfter - report.rssCold) / report.names)],
        ["heap used", mb(report.heapBefore), mb(report.heapAfter), Math.round((report.heapAfter - report.heapBefore) / report.names)],
      ],
    );
    console.log();
    printTable(
      ["name listing", "ms"],
      [
        ["first listing (start to ready)", report.firstListingMs],
        ["full listing + index rebuild (paged)", report.fullListingMs],
        ["incremental check, nothing new (listAfter)", report.idleCheckMs],
        [`full listing while serving: ${during.length} requests, median`, median(during)],
        ["   ... their max", Math.max(...during)],
        ["   ... the listing's wall time", refreshWall],
      ],
    );
    console.log(`\nFull listings are paced to ≤ 5% of a core: at ${Math.round(report.fullListingMs)} ms each, one per ${Math.round(Math.max(1000, report.fullListingMs / 0.05) / 1000)} s at most (SQLite: every 300 s, new names come by listAfter).`);
  } finally {
    child?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "serve") await serve(process.argv[3]);
else await main();
