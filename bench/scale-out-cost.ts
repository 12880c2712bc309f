/**
 * What one karbon and one Redis node cost per unit of work, the inputs of
 * the scale-out projection in the README: karbon's CPU per line received,
 * and each Redis Cluster node's CPU (INFO's used_cpu_user + used_cpu_sys)
 * per row karbon wrote, masters and replicas apart. CPU time, not wall
 * time: on a shared 2-core machine it is the figure that still means
 * something, and the one a capacity plan divides by.
 *
 * A private cluster of 3 masters + 3 replicas (redis-server on free
 * loopback ports), one karbon from dist/ (build first) with one count
 * schema and one minute interval, LINES lines over NAMES names spread over
 * the last hour, sent over 4 connections. Completeness is checked by
 * reading the sum back.
 *
 *   npm run build && npx tsx bench/scale-out-cost.ts [--lines 1000000] [--names 10000] [--runs 3]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { startCluster } from "../src/timeseries/testing/redis-test-cluster.js";
import { spawnCli } from "../test/helpers/processes.js";
import { median, printTable } from "./bench-util.js";
import { numberArg, scrapeMetrics as metrics, sendPayload as send, storedCountTotal } from "./karbon-load.js";

const arg = numberArg;
const LINES = arg("lines", 1_000_000);
const NAMES = arg("names", 10_000);
const RUNS = arg("runs", 3);
const CONNECTIONS = 4;

/** CPU seconds (user + system) of one process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Each node's role and CPU seconds so far, as it reports them. */
async function nodeCpu(ports: readonly number[]): Promise<Array<{ port: number; master: boolean; cpu: number }>> {
  return Promise.all(
    ports.map(async (port) => {
      const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
      await c.connect();
      const info = String(await c.info("all"));
      c.disconnect();
      const field = (f: string) => Number(new RegExp(`^${f}:([\\d.]+)`, "m").exec(info)![1]);
      return { port, master: info.includes("role:master"), cpu: field("used_cpu_user") + field("used_cpu_sys") };
    }),
  );
}

const cluster = await startCluster({ replicas: 1 });
const karbonUs: number[] = [];
const rowsPerLine: number[] = [];
const masterUs: number[] = [];
const replicaUs: number[] = [];
const busiestMasterUs: number[] = [];
const flushes: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), "torus-bench-scale-"));
    const configPath = join(dir, "cost.mjs");
    const prefix = `cost${process.pid}r${run}`;
    writeFileSync(configPath, `export const SCHEMAS = { c: { type: "count", host: ${JSON.stringify(cluster.url)}, prefix: "${prefix}", match: "^c\\\\.", intervals: { minute: { step: 60, steps: 1440 } } } };`);
    const now = Math.floor(Date.now() / 1000);
    const per = Math.ceil(LINES / CONNECTIONS);
    let expected = 0;
    const payloads = Array.from({ length: CONNECTIONS }, (_, c) => {
      const parts: string[] = [];
      for (let i = c * per; i < Math.min(LINES, (c + 1) * per); i++) {
        parts.push(`c.app${i % 20}.name${i % NAMES} ${(i % 7) + 1} ${now - 3540 + Math.floor((i / LINES) * 3540)}\n`);
        expected += (i % 7) + 1;
      }
      return Buffer.from(parts.join(""));
    });
    const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", configPath], {}, true);
    const log = await karbon.waitForLog("karbon listening");
    const k0 = cpuSeconds(karbon.proc.pid!);
    const r0 = await nodeCpu(cluster.ports);
    await Promise.all(payloads.map((p) => send(log.tcp.port, p)));
    let m: Record<string, number>;
    for (;;) {
      m = await metrics(log.metrics.port);
      if ((m.karbon_points_received_total ?? 0) >= LINES && (m.karbon_buffer_rows ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const k1 = cpuSeconds(karbon.proc.pid!);
    const r1 = await nodeCpu(cluster.ports);
    karbon.kill("SIGTERM");
    await karbon.exited;
    const rows = m.karbon_rows_written_total ?? 0;
    const delta = r1.map((n, i) => ({ ...n, cpu: n.cpu - r0[i].cpu }));
    const masters = delta.filter((n) => n.master);
    const replicas = delta.filter((n) => !n.master);
    karbonUs.push(((k1 - k0) * 1e6) / LINES);
    rowsPerLine.push(rows / LINES);
    masterUs.push((masters.reduce((s, n) => s + n.cpu, 0) * 1e6) / rows);
    replicaUs.push((replicas.reduce((s, n) => s + n.cpu, 0) * 1e6) / rows);
    busiestMasterUs.push((Math.max(...masters.map((n) => n.cpu)) * 1e6) / rows);
    flushes.push(m.karbon_flush_seconds_count ?? 0);
    const { names, total: got } = await storedCountTotal(configPath, now);
    if (got !== expected || names.length !== NAMES) throw new Error(`incomplete: ${got}/${expected} over ${names.length}/${NAMES} names`);
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await cluster.stop();
}

console.log(`\none karbon → Redis Cluster (3 masters + 3 replicas): ${LINES.toLocaleString("en-US")} lines, ${NAMES.toLocaleString("en-US")} names, ${CONNECTIONS} connections, median of ${RUNS} runs, node ${process.version}\n`);
printTable(
  ["karbon CPU µs/line", "rows/line", "flushes", "Redis CPU µs/row, 3 masters together", "busiest master", "3 replicas together"],
  [[Number(median(karbonUs).toFixed(2)), Number(median(rowsPerLine).toFixed(3)), median(flushes), Number(median(masterUs).toFixed(2)), Number(median(busiestMasterUs).toFixed(2)), Number(median(replicaUs).toFixed(2))]],
);
