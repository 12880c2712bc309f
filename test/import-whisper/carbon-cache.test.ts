import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { buildRuntime } from "../../src/runtime/runtime.js";
import { StoreRegistry } from "../../src/timeseries/index.js";
import { eventually, freePort, runBin, sendTcp, sleep, track } from "../helpers/processes.js";
import { CARBON_CACHE, fetchArchive } from "./whisper-tools.js";

const dir = mkdtempSync(join(tmpdir(), "torus-import-carbon-"));
const data = join(dir, "whisper");
const NOW = Math.floor(Date.now() / 1000);
const NAMES = ["app.web.cpu", "app.db.load", "app.web.hits.count"];
const fileOf = (name: string) => join(data, ...name.split(".")) + ".wsp";
let carbon: ChildProcess | null = null;

/** Lines for one metric at ages over all three archives, with gaps. */
function lines(name: string, salt: number): string {
  const out: string[] = [];
  const at = (age: number, k: number) => out.push(`${name} ${((k * 7 + salt) % 13) + (name.endsWith("count") ? 1 : 0.25)} ${NOW - age}`);
  for (let k = 1; k <= 100; k++) if ((k + salt) % 6 !== 0) at(k * 60, k);
  for (let age = 7800; age <= 13_800; age += 300) at(age, age / 300);
  for (let age = 15_000, k = 0; age <= 144_000; age += 1800, k++) if (k % 4 !== salt % 4) at(age, k);
  return out.join("\n") + "\n";
}

beforeAll(async () => {
  if (!CARBON_CACHE) return;
  for (const d of [data, join(dir, "log"), join(dir, "run")]) mkdirSync(d, { recursive: true });
  const [line, pickle, query] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, "carbon.conf"),
    `[cache]
STORAGE_DIR = ${dir}/
LOCAL_DATA_DIR = ${data}/
CONF_DIR = ${dir}/
LOG_DIR = ${dir}/log/
PID_DIR = ${dir}/run/
DATABASE = whisper
ENABLE_TAGS = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 10000
MAX_CREATES_PER_MINUTE = 10000
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${line}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${query}
WHISPER_AUTOFLUSH = True
`,
  );
  writeFileSync(join(dir, "storage-schemas.conf"), "[all]\npattern = .*\nretentions = 60s:2h,5m:4h,1h:2d\n");
  // Last and sum with xFilesFactor 0: carbon's coarser archives are then exactly what the importer computes from finer ones.
  writeFileSync(join(dir, "storage-aggregation.conf"), "[counts]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n\n[rest]\npattern = .*\nxFilesFactor = 0\naggregationMethod = last\n");
  carbon = track(
    spawn("carbon-cache", [`--config=${join(dir, "carbon.conf")}`, "--nodaemon", `--pidfile=${join(dir, "run", "carbon.pid")}`, `--logdir=${join(dir, "log")}`, "start"], {
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let said = "";
  carbon.stdout!.on("data", (d) => (said += d));
  carbon.stderr!.on("data", (d) => (said += d));
  await eventually(() => sendTcp(line, "").then(() => true), 30_000, 200).catch((err) => {
    throw new Error(`carbon-cache did not start: ${err.message}\n${said}`);
  });
  await sendTcp(line, NAMES.map((n, i) => lines(n, i)).join(""));
  // Carbon writes from its cache in its own time: wait until every file holds its newest point and stops changing.
  let last = "";
  await eventually(
    async () => {
      if (!NAMES.every((n) => existsSync(fileOf(n)))) return false;
      const now = JSON.stringify(NAMES.map((n) => [0, 1, 2].map((a) => [...fetchArchive(fileOf(n), a)])));
      const done = now === last && NAMES.every((n) => fetchArchive(fileOf(n), 0).size > 50);
      last = now;
      if (!done) await sleep(700);
      return done;
    },
    60_000,
    100,
  );
}, 120_000);

afterAll(async () => {
  if (carbon && carbon.exitCode === null) {
    carbon.kill("SIGTERM");
    await new Promise((r) => carbon!.once("exit", r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(CARBON_CACHE)("torus import-whisper on files a real carbon-cache wrote", () => {
  it("imports every point of every archive of every file, as whisper-fetch reads them", async () => {
    const config = join(dir, "torus.ts");
    const intervals = `{ m1: { step: 60 }, m5: { step: 300 }, h1: { step: "1h" } }`;
    writeFileSync(
      config,
      `export const SCHEMAS = {
  gauges: { type: "gauge", host: "sqlite:///${dir}/t.db", match: ["cpu$", "load$"], intervals: ${intervals} },
  counts: { type: "count", host: "sqlite:///${dir}/t.db", match: "count$", intervals: ${intervals} },
};\n`,
    );
    for (const schema of ["gauges", "counts"]) {
      const r = await runBin("torus", ["import-whisper", "--config", config, "--schema", schema, data], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`imported ${schema === "gauges" ? 2 : 1} files`);
    }
    const registry = new StoreRegistry();
    try {
      const runtime = await buildRuntime(await loadConfig([config]), registry);
      let compared = 0;
      for (const name of NAMES) {
        const s = runtime.schema(name.endsWith("count") ? "counts" : "gauges")!;
        for (const [interval, archive] of [["m1", 0], ["m5", 1], ["h1", 2]] as const) {
          const [rows] = await s.store.read(s.series.ns, [name], interval, 0, NOW + 86_400);
          const want = fetchArchive(fileOf(name), archive);
          expect(new Map(rows.map((r) => [r[1], Number(r[2])])), `${name} ${interval}`).toEqual(want);
          compared += want.size;
        }
      }
      expect(compared).toBeGreaterThan(400);
    } finally {
      await registry.closeAll();
    }
  });
});
