/**
 * How long a new metric name takes to be findable: a real karbon and a real
 * torus process over one store already holding `names` names; each sample
 * sends one new name to karbon over plaintext TCP and polls torus's
 * `/metrics/find` for it every 10 ms.
 *
 *     npx tsx bench/find-new-name.ts [stores, default sqlite,postgres,redis] [names, default 100000] [samples, default 8] [baseline source dir]
 *
 * With a baseline source directory (a checkout of an earlier version, with
 * its node_modules), runs alternate baseline / this tree (A/B/A/B) on the
 * same store, and the table shows the medians of each.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT } from "../test/helpers/processes.js";
import { openStore } from "../src/timeseries/backends/open-store.js";
import { Timeseries, WriteBatch } from "../src/timeseries/index.js";
import { median, printTable } from "./bench-util.js";

const stores = (process.argv[2] ?? "sqlite,postgres,redis").split(",");
const NAMES = Number(process.argv[3] ?? 100_000);
const SAMPLES = Number(process.argv[4] ?? 8);
const BASELINE = process.argv[5];
const ROUNDS = 2;
const dir = mkdtempSync(join(tmpdir(), "torus-find-new-"));
const INTERVALS = { minute: { step: 60, steps: 1440 } };

function hostOf(store: string): string {
  if (store === "sqlite") return `sqlite:///${join(dir, "bench.db")}`;
  if (store === "postgres") return "postgresql://postgres@127.0.0.1:5432/test";
  if (store === "redis") return "redis://127.0.0.1:6379/0";
  if (store === "mysql") return "mysql://root@127.0.0.1:3306/test";
  throw new Error(`unknown store ${store}`);
}

/** `names` stored names under `prefix`, written straight to the store. */
async function fill(host: string, prefix: string): Promise<void> {
  const store = await openStore(host);
  try {
    const now = Math.floor(Date.now() / 1000);
    const ts = new Timeseries(store, { type: "count", prefix, intervals: INTERVALS, clock: () => now });
    for (let i = 0; i < NAMES; i += 10_000) {
      const batch = new WriteBatch();
      for (let j = i; j < Math.min(NAMES, i + 10_000); j++) ts.stage(batch, `fnn.bulk.l${j % 100}.m${j}`, 1, now);
      await store.write(batch);
    }
  } finally {
    await store.close();
  }
}

/** Drops what a run left in the store. */
async function drop(host: string, prefix: string): Promise<void> {
  const store = await openStore(host);
  try {
    await store.deleteAll({ prefix, type: "count" });
    const sql = store as unknown as { dropTables?: (p: string) => Promise<void> };
    if (sql.dropTables) await sql.dropTables(prefix);
  } finally {
    await store.close();
  }
}

function start(root: string, entry: string, args: string[]): { proc: ChildProcess; line: (msg: string) => Promise<Record<string, any>> } {
  const proc = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", entry), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const line = (msg: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${msg}" from ${entry}: ${out.slice(-2000)}`)), 60_000);
      const look = () => {
        for (const l of out.split("\n")) {
          if (!l.startsWith("{")) continue;
          try {
            const j = JSON.parse(l);
            if (j.msg === msg) {
              clearTimeout(timer);
              proc.stdout!.off("data", look);
              proc.stderr!.off("data", look);
              return resolve(j);
            }
          } catch {
            // partial line
          }
        }
      };
      proc.stdout!.on("data", look);
      proc.stderr!.on("data", look);
      look();
    });
  return { proc, line };
}

async function found(base: string, query: string): Promise<boolean> {
  const res = await fetch(`${base}/metrics/find?query=${encodeURIComponent(query)}&format=completer`);
  const body = (await res.json()) as { metrics: unknown[] };
  return body.metrics.length > 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One deployment from `root`: the seconds from sending each new name to finding it. */
async function run(root: string, host: string, prefix: string, tag: string): Promise<number[]> {
  const config = join(dir, `${prefix}${tag}.config.mjs`);
  writeFileSync(config, `export const SCHEMAS = { fnn: { type: "count", host: ${JSON.stringify(host)}, prefix: ${JSON.stringify(prefix)}, match: "^fnn\\\\.", intervals: ${JSON.stringify(INTERVALS)} } };\n`);
  const karbon = start(root, "karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config]);
  const port = await freePort();
  const torus = start(root, "torus-main.ts", ["--tcp", `127.0.0.1:${port}`, "--config", config]);
  const base = `http://127.0.0.1:${port}`;
  try {
    const kport = (await karbon.line("karbon listening")).tcp.port as number;
    await torus.line("torus listening");
    while (!(await found(base, `fnn.bulk.l${(NAMES - 1) % 100}.m${NAMES - 1}`))) await sleep(100);
    const socket = connect({ host: "127.0.0.1", port: kport });
    await new Promise((r) => socket.once("connect", r));
    const out: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      // Out of step with the server's checks.
      await sleep(300 + Math.random() * 1000);
      const name = `fnn.new${tag}.n${k}`;
      const sent = performance.now();
      socket.write(`${name} 1 ${Math.floor(Date.now() / 1000)}\n`);
      while (!(await found(base, name))) await sleep(10);
      out.push((performance.now() - sent) / 1000);
    }
    socket.end();
    return out;
  } finally {
    karbon.proc.kill("SIGTERM");
    torus.proc.kill("SIGTERM");
    await Promise.all([karbon.proc, torus.proc].map((p) => (p.exitCode !== null ? null : new Promise((r) => p.once("exit", r)))));
  }
}

const rows: string[][] = [];
try {
  for (const store of stores) {
    const host = hostOf(store);
    const prefix = `fnn${Date.now().toString(36)}_`;
    const t0 = performance.now();
    await fill(host, prefix);
    console.error(`${store}: ${NAMES.toLocaleString("en-US")} names stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const samples: Record<string, number[]> = { baseline: [], this: [] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (BASELINE) samples.baseline.push(...(await run(BASELINE, host, prefix, `b${round}`)));
        samples.this.push(...(await run(ROOT, host, prefix, `t${round}`)));
        console.error(`${store} round ${round}: baseline ${samples.baseline.map((s) => s.toFixed(2)).join(" ")} | this ${samples.this.map((s) => s.toFixed(2)).join(" ")}`);
      }
    } finally {
      await drop(host, prefix);
    }
    const f = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} s (max ${Math.max(...xs).toFixed(2)})` : "n/a");
    rows.push([store, NAMES.toLocaleString("en-US"), f(samples.baseline), f(samples.this)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nNew name sent to karbon → found by torus /metrics/find (median of ${ROUNDS * SAMPLES} samples per column, runs alternated)\n`);
printTable(["store", "names stored", "before (baseline)", "after (this tree)"], rows);
