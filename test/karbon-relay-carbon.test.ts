/**
 * karbon relaying to Debian's carbon-cache (graphite-carbon): a schema whose
 * host is `carbon://` or `carbon+pickle://` forwards every point, read back
 * from the whisper files with `whisper-fetch`. carbon-cache is stopped and
 * started again mid-stream: every point karbon accepted ends up on disk.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { REQUIRED } from "../src/timeseries/testing/must-run.js";
import { eventually, freePort, reapChildren, sendTcp, sleep, spawnCli, track } from "./helpers/processes.js";

const CARBON = "/usr/bin/carbon-cache";
const FETCH = "/usr/bin/whisper-fetch";
const haveCarbon = existsSync(CARBON) && existsSync(FETCH);
if (!haveCarbon && REQUIRED) throw new Error("graphite-carbon and python3-whisper are required for the relay test in CI (apt-get install -y graphite-carbon python3-whisper)");
if (!haveCarbon) console.warn("\n*** SKIPPING the Carbon relay test: graphite-carbon or python3-whisper is not installed ***\n");

const root = mkdtempSync(join(tmpdir(), "torus-relay-carbon-"));
afterEach(() => reapChildren());
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Carbon {
  dir: string;
  line: number;
  pickle: number;
  proc: ChildProcess | null;
  output: string;
}

/** A private carbon-cache: its own carbon.conf, schemas (1 s for 2 h, last value wins) and storage under `dir`. */
async function carbonSetup(name: string): Promise<Carbon> {
  const dir = join(root, name);
  for (const d of ["conf", "storage/whisper", "log", "run", "lists"]) mkdirSync(join(dir, d), { recursive: true });
  const [line, pickle, query] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, "conf", "carbon.conf"),
    `[cache]
STORAGE_DIR = ${dir}/storage
LOCAL_DATA_DIR = ${dir}/storage/whisper
WHITELISTS_DIR = ${dir}/lists
CONF_DIR = ${dir}/conf
LOG_DIR = ${dir}/log
PID_DIR = ${dir}/run
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${line}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${pickle}
ENABLE_UDP_LISTENER = False
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${query}
ENABLE_TAGS = False
`,
  );
  writeFileSync(join(dir, "conf", "storage-schemas.conf"), "[all]\npattern = .*\nretentions = 1s:2h\n");
  writeFileSync(join(dir, "conf", "storage-aggregation.conf"), "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = last\n");
  return { dir, line, pickle, proc: null, output: "" };
}

async function carbonStart(c: Carbon): Promise<void> {
  rmSync(join(c.dir, "run", "carbon.pid"), { force: true });
  const proc = track(spawn(CARBON, [`--config=${c.dir}/conf/carbon.conf`, `--pidfile=${c.dir}/run/carbon.pid`, "--nodaemon", "--logfile=-", "start"], { cwd: c.dir, stdio: ["ignore", "pipe", "pipe"] }));
  proc.stdout!.on("data", (d) => (c.output += d));
  proc.stderr!.on("data", (d) => (c.output += d));
  c.proc = proc;
  await eventually(() => c.output.includes(`CarbonReceiverFactory starting on ${c.line}`) && c.output.includes(`CarbonReceiverFactory starting on ${c.pickle}`), 30_000, 100);
}

/** SIGTERM, as an init system stops it (carbon-cache writes its cache out and exits), or SIGKILL (its cache is lost). */
async function carbonStop(c: Carbon, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const proc = c.proc!;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill(signal);
  await exited;
  c.proc = null;
}

/** Every stored (timestamp, value) of each name, read from the whisper files with whisper-fetch. */
function whisperPoints(c: Carbon, names: readonly string[], from: number, until: number): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const name of names) {
    const file = join(c.dir, "storage", "whisper", ...name.split(".")) + ".wsp";
    const points = new Map<number, number>();
    out.set(name, points);
    if (!existsSync(file)) continue;
    const r = spawnSync(FETCH, [`--from=${from}`, `--until=${until}`, file], { encoding: "utf8" });
    for (const line of r.stdout.split("\n")) {
      const [ts, v] = line.split("\t");
      if (v !== undefined && v !== "None") points.set(Number(ts), Number(v));
    }
  }
  return out;
}

const NAMES = 10;
/** Phases of the stream: one timestamp each, sent every STREAM_MS. */
const PHASES = 250;
const STREAM_MS = 20;

/** `rel.n<j> value ts` lines of one phase: one timestamp per phase, a value telling phase and name apart. */
function phase(p: number, base: number): { text: string; points: Array<[string, number, number]> } {
  const points: Array<[string, number, number]> = [];
  for (let j = 0; j < NAMES; j++) points.push([`rel.n${j}`, p + j / 100, base + p]);
  return { text: points.map(([n, v, t]) => `${n} ${v} ${t}\n`).join(""), points };
}

/**
 * Stopped with SIGTERM over both protocols; killed with SIGKILL over plaintext, where carbon-cache also
 * loses the points it had read but not yet written (its writer wakes about once a second): a relay
 * holding what it wrote for a few seconds sends those again too.
 */
const CASES = [
  { scheme: "carbon", signal: "SIGTERM", confirmMs: 1000 },
  { scheme: "carbon+pickle", signal: "SIGTERM", confirmMs: 1000 },
  { scheme: "carbon", signal: "SIGKILL", confirmMs: 5000 },
] as const;

for (const { scheme, signal, confirmMs } of CASES) {
  describe.runIf(haveCarbon)(`karbon relaying to carbon-cache over ${scheme}://`, () => {
    it(`every point karbon accepted is in the whisper files, carbon-cache stopped with ${signal} mid-stream and started again`, async () => {
      const c = await carbonSetup(`${scheme.replace("+", "-")}-${signal}`);
      await carbonStart(c);
      const url = `${scheme}://127.0.0.1:${scheme === "carbon" ? c.line : c.pickle}`;
      const config = join(c.dir, "karbon.ts");
      writeFileSync(
        config,
        `export const SCHEMAS = { relayed: { type: "series", host: ${JSON.stringify(url)}, match: "^rel\\\\.", intervals: { raw: { step: 1 } }, client_config: { backoff_max_ms: 500, confirm_ms: ${confirmMs} } } };
         export const FLUSH_INTERVAL = 100;`,
      );
      const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config, "--metrics", "127.0.0.1:0"]);
      const listening = await k.waitForLog("karbon listening");
      const kport = listening.tcp.port;
      const base = Math.floor(Date.now() / 1000) - 1800;
      const sent: Array<[string, number, number]> = [];
      const send = async (p: number) => {
        const { text, points } = phase(p, base);
        await sendTcp(kport, [text]);
        sent.push(...points);
      };

      // A steady stream into karbon; carbon-cache is stopped in the middle of it and started again.
      const stream = (async () => {
        for (let p = 0; p < PHASES; p++) {
          await send(p);
          await sleep(STREAM_MS);
        }
      })();
      await sleep(1500);
      await carbonStop(c, signal); // what karbon relayed just before is at risk
      await sleep(500); // points keep coming while carbon-cache is down
      await carbonStart(c);
      await stream;

      const names = Array.from({ length: NAMES }, (_, j) => `rel.n${j}`);
      const from = base - 1;
      const until = base + PHASES + 1;
      const expected = new Map(names.map((n) => [n, new Map<number, number>()]));
      for (const [n, v, t] of sent) expected.get(n)!.set(t, v);
      const missing = () => {
        const got = whisperPoints(c, names, from, until);
        let n = 0;
        for (const [name, points] of expected) for (const [t, v] of points) if (got.get(name)!.get(t) !== v) n++;
        return n;
      };
      await eventually(() => missing() === 0, 30_000, 500).catch(() => undefined);
      expect(missing()).toBe(0);
      const got = whisperPoints(c, names, from, until);
      for (const name of names) expect([...got.get(name)!].sort((a, b) => a[0] - b[0])).toEqual([...expected.get(name)!].sort((a, b) => a[0] - b[0]));

      // karbon's /metrics: every point counted sent, none dropped.
      let metrics = "";
      const value = (metric: string) => Number(new RegExp(`^${metric}\\{store="${url.replace(/[.+]/g, "\\$&")}"\\} (\\d+)`, "m").exec(metrics)?.[1]);
      // Points count as sent once held confirm_ms on an open connection.
      await eventually(async () => {
        metrics = await (await fetch(`http://127.0.0.1:${listening.metrics.port}/metrics`)).text();
        return value("karbon_relay_points_queued") === 0;
      }, confirmMs + 5000, 200).catch(() => undefined);
      expect(value("karbon_relay_points_sent_total")).toBeGreaterThanOrEqual(sent.length);
      expect(value("karbon_relay_points_queued")).toBe(0);
      // Points were on the wire when carbon-cache went: they were sent again.
      expect(value("karbon_relay_points_resent_total")).toBeGreaterThan(0);
      expect(metrics).not.toMatch(/karbon_relay_points_dropped_total\{/);
      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
      await carbonStop(c);
    }, 90_000);
  });
}
