import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { buildRuntime, type Runtime } from "../../src/runtime/runtime.js";
import { StoreRegistry } from "../../src/timeseries/index.js";
import { BUILT, ROOT, runBin } from "../helpers/processes.js";
import { WHISPER_TOOLS, fetchArchive, run } from "./whisper-tools.js";

const dir = mkdtempSync(join(tmpdir(), "torus-import-whisper-"));
const config = join(dir, "torus.ts");
const NOW = Math.floor(Date.now() / 1000);
const ARCHIVES = ["60:120", "300:48", "3600:48"];

/** Points of known values at ages spread over all three archives, with gaps. */
function points(value: (k: number) => number): string[] {
  const out: string[] = [];
  for (let k = 1; k <= 100; k++) if (k % 7 !== 0) out.push(`${NOW - k * 60}:${value(k)}`);
  for (let age = 7800, k = 0; age <= 13_800; age += 300, k++) out.push(`${NOW - age}:${value(k + 200)}`);
  for (let age = 15_000, k = 0; age <= 144_000; age += 1800, k++) if (k % 5 !== 3) out.push(`${NOW - age}:${value(k + 400)}`);
  return out;
}

const INTERVALS = `{ m1: { step: 60 }, m5: { step: 300 }, h1: { step: "1h" } }`;
const DAILY = `{ m1: { step: 60 }, m5: { step: 300 }, day: { step: "daily", resolution: "1h" } }`;
/** Which whisper archive each interval must equal (its step's). */
const ARCHIVE_OF: Record<string, number> = { m1: 0, m5: 1, h1: 2, day: 2 };

let registry: StoreRegistry;
let runtime: Runtime;
const tree = join(dir, "whisper");
const cpu = join(tree, "servers", "web1", "cpu.wsp");
const requests = join(tree, "servers", "web1", "requests.count.wsp");

beforeAll(async () => {
  if (!WHISPER_TOOLS) return;
  mkdirSync(join(tree, "servers", "web1"), { recursive: true });
  // Last and sum with xFilesFactor 0: whisper's own coarser archives are then exactly what the importer must compute from the finer ones.
  run("whisper-create", [cpu, ...ARCHIVES, "--aggregationMethod=last", "--xFilesFactor=0"]);
  run("whisper-update", [cpu, ...points((k) => k * 0.5 + 1)]);
  run("whisper-create", [requests, ...ARCHIVES, "--aggregationMethod=sum", "--xFilesFactor=0"]);
  run("whisper-update", [requests, ...points((k) => (k % 5) + 1)]);
  const db = (name: string) => `sqlite:///${join(dir, name)}`;
  writeFileSync(
    config,
    `export const SCHEMAS = {
  gauges: { type: "gauge", host: "${db("g.db")}", match: "cpu$", intervals: ${INTERVALS} },
  window: { type: "gauge", host: "${db("g.db")}", match: "cpu$", intervals: ${INTERVALS} },
  dry: { type: "gauge", host: "${db("g.db")}", match: ".", intervals: ${INTERVALS} },
  counts: { type: "count", host: "${db("c.db")}", match: "count$", intervals: ${DAILY} },
  members: { type: "set", host: "${db("c.db")}", match: "cpu$", intervals: { m1: { step: 60 } } },
  timers: { type: "histogram", host: "${db("c.db")}", match: ".", intervals: { m1: { step: 60 } } },
  any: { type: "gauge", host: "${db("bad.db")}", match: ".", intervals: { m1: { step: 60 }, m5: { step: 300 } } },
};\n`,
  );
});
afterAll(async () => {
  await registry?.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

async function openRuntime(): Promise<Runtime> {
  await registry?.closeAll();
  registry = new StoreRegistry();
  runtime = await buildRuntime(await loadConfig([config]), registry);
  return runtime;
}

/** What torus stored for a name in one interval: sub-bucket start → value. */
async function stored(schema: string, name: string, interval: string): Promise<Map<number, number>> {
  const s = runtime.schema(schema)!;
  const [rows] = await s.store.read(s.series.ns, [name], interval, 0, NOW + 86_400 * 2);
  return new Map(rows.map((r) => [r[1], Number(r[2])]));
}

const importWhisper = (...args: string[]) => runBin("torus", ["import-whisper", "--config", config, ...args], { timeoutMs: 60_000 });

describe.runIf(WHISPER_TOOLS)("torus import-whisper on files written by Debian's whisper tools", () => {
  it("stores every point of every archive into the interval of its step: whisper-fetch and torus agree", async () => {
    const r = await importWhisper("--schema", "gauges", tree);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 1 files, \d+ points into gauges in [\d.]+ s \(\d+ points\/s\); 0 points skipped, 0 files with errors, 1 files not matched by the schema \(left alone\)\n$/);
    await openRuntime();
    let compared = 0;
    for (const interval of ["m1", "m5", "h1"]) {
      const want = fetchArchive(cpu, ARCHIVE_OF[interval]);
      expect(want.size).toBeGreaterThan(20);
      expect(await stored("gauges", "servers.web1.cpu", interval)).toEqual(want);
      compared += want.size;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it("makes counts the whisper totals, and a second import leaves them so", async () => {
    for (let pass = 0; pass < 2; pass++) {
      const r = await importWhisper("--schema", "counts", tree, "--concurrency", "2");
      expect(r.code, r.stderr).toBe(0);
      await openRuntime();
      for (const interval of ["m1", "m5", "day"]) {
        expect(await stored("counts", "servers.web1.requests.count", interval)).toEqual(fetchArchive(requests, ARCHIVE_OF[interval]));
      }
    }
  });

  it("leaves out the stale slots of an earlier lap, as whisper.fetch does", async () => {
    // python3-whisper writes two laps of a ten-slot ring at moments it is told are "now"; the second lap
    // rewrites only some slots, so the others hold lap-one timestamps, partly still in the window and partly stale.
    const laps = join(dir, "laps");
    mkdirSync(laps, { recursive: true });
    const file = join(laps, "ring.wsp");
    const T = NOW - (NOW % 60) - 7200;
    const script = `
import json, sys, whisper
path, T = sys.argv[1], int(sys.argv[2])
whisper.create(path, [(60, 10)], aggregationMethod="last")
whisper.update_many(path, [(T - k * 60, k + 0.5) for k in range(10)], now=T)
now = T + 300
whisper.update_many(path, [(T + 120, 100.25), (T + 300, 200.5)], now=now)
(start, end, step), values = whisper.fetch(path, now - 600, now, now=now)
print(json.dumps([[start + i * step, v] for i, v in enumerate(values) if v is not None]))
`;
    const want = new Map<number, number>(JSON.parse(run("/usr/bin/python3", ["-c", script, file, String(T)])));
    // Lap one's T-240..T survive beside lap two's two points; T-540..T-300 are stale.
    expect([...want.keys()].sort()).toEqual([T - 240, T - 180, T - 120, T - 60, T, T + 120, T + 300]);
    const r = await importWhisper("--schema", "any", "--interval", "m1", laps);
    expect(r.code, r.stderr).toBe(0);
    await openRuntime();
    expect(await stored("any", "ring", "m1")).toEqual(want);
  });

  it("keeps --start..--end only, and --interval only", async () => {
    const start = NOW - 3600;
    const end = NOW - 1800;
    const r = await importWhisper("--schema", "window", "--interval", "m1", "--start", String(start), "--end", String(end), cpu);
    expect(r.code, r.stderr).toBe(0);
    await openRuntime();
    const want = new Map([...fetchArchive(cpu, 0)].filter(([t]) => t >= start && t <= end));
    expect(want.size).toBeGreaterThan(10);
    // A file given by itself is named from its own directory.
    expect(await stored("window", "cpu", "m1")).toEqual(want);
    expect((await stored("window", "cpu", "m5")).size).toBe(0);
    expect(r.stdout).toMatch(/; [1-9]\d* points skipped/);
  });

  it("writes sets of the values seen", async () => {
    const r = await importWhisper("--schema", "members", "--interval", "m1", tree);
    expect(r.code, r.stderr).toBe(0);
    await openRuntime();
    expect(await stored("members", "servers.web1.cpu", "m1")).toEqual(fetchArchive(cpu, 0));
  });

  it("--dry-run reads and reports but writes nothing", async () => {
    const r = await importWhisper("--schema", "dry", "--dry-run", tree);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dry run: would import 2 files, [1-9]\d* points into dry/);
    await openRuntime();
    expect(await runtime.schema("dry")!.series.list()).toEqual([]);
  });

  it("reports corrupt, truncated and empty files, skips them and imports the rest", async () => {
    const bad = join(dir, "bad");
    mkdirSync(join(bad, "a"), { recursive: true });
    copyFileSync(cpu, join(bad, "a", "good.wsp"));
    const whole = readFileSync(cpu);
    writeFileSync(join(bad, "empty.wsp"), "");
    writeFileSync(join(bad, "cut-header.wsp"), whole.subarray(0, 30));
    writeFileSync(join(bad, "cut-archive.wsp"), whole.subarray(0, 2000));
    writeFileSync(join(bad, "text.wsp"), "this is not a whisper file, it is text.\n");
    writeFileSync(join(bad, "notes.txt"), "not looked at");
    const r = await importWhisper("--schema", "any", bad);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n").sort();
    expect(lines).toEqual([
      `torus import-whisper: ${join(bad, "cut-archive.wsp")}: truncated: archive 1 (300s × 48) ends at byte 2068, the file has 2000; skipped`,
      `torus import-whisper: ${join(bad, "cut-header.wsp")}: truncated header: 3 archives need 52 bytes, the file has 30; skipped`,
      `torus import-whisper: ${join(bad, "empty.wsp")}: empty file; skipped`,
      `torus import-whisper: ${join(bad, "text.wsp")}: unknown aggregation type 1952999795 (whisper knows 1-8); skipped`,
    ]);
    expect(r.stdout).toMatch(/^imported 1 files, [1-9]\d* points into any .*; 0 points skipped, 4 files with errors\n$/);
    await openRuntime();
    expect(await stored("any", "a.good", "m1")).toEqual(fetchArchive(cpu, 0));
  });

  it("refuses an interval no archive divides, an unknown interval and a type that adds up", async () => {
    const odd = join(dir, "odd");
    mkdirSync(odd, { recursive: true });
    run("whisper-create", [join(odd, "ninety.wsp"), "90:100"]);
    run("whisper-update", [join(odd, "ninety.wsp"), `${NOW - 900}:1`]);
    let r = await importWhisper("--schema", "any", "--interval", "m1", odd);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`torus import-whisper: ${join(odd, "ninety.wsp")}: no archive's step (90s) divides interval "m1"'s 60s buckets; skipped\n`);
    // Without --interval it is no error: the file has nothing for these intervals, and the summary says so.
    r = await importWhisper("--schema", "any", odd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`interval "m1": no archive's step divides it, nothing written there\n`);
    r = await importWhisper("--schema", "any", "--interval", "m7", odd);
    expect([r.code, r.stderr]).toEqual([1, `torus: --interval: schema "any" has no interval "m7" (its intervals: m1, m5)\n`]);
    r = await importWhisper("--schema", "timers", odd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^torus: --schema: schema "timers" stores histogram, which adds on every write/);
    r = await importWhisper("--schema", "nope", odd);
    expect([r.code, r.stderr]).toEqual([1, `torus: --schema: unknown schema "nope" (have gauges, window, dry, counts, members, timers, any)\n`]);
  });

  it("draws a progress bar on a terminal, and none into a pipe", () => {
    // A real pseudo-terminal from python3's pty module: stdout is a TTY there.
    const pty = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
os.waitpid(pid, 0)
`;
    const entry = BUILT ? [join(ROOT, "bin", "torus")] : ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts")];
    const out = run("python3", ["-c", pty, process.execPath, ...entry, "import-whisper", "--config", config, "--schema", "dry", "--dry-run", tree]);
    expect(out).toMatch(/importing .* 2\/2 files \| [1-9]\d* points \| 0 errors/);
    expect(out).toMatch(/dry run: would import 2 files/);
  });

  it("gives usage mistakes exit 2", async () => {
    let r = await importWhisper(tree);
    expect([r.code, r.stderr]).toEqual([2, "torus import-whisper: required option '--schema <schema>' not specified (see torus import-whisper --help)\n"]);
    r = await importWhisper("--schema", "any", "--concurrency", "0", tree);
    expect(r.code).toBe(2);
    r = await importWhisper("--schema", "any", "--start", "not a time at all", tree);
    expect(r.code).toBe(2);
    r = await runBin("torus", ["import-whisper", "--schema", "any", tree]);
    expect([r.code, r.stderr]).toEqual([2, "torus import-whisper: --config: at least one configuration file is required (see torus import-whisper --help)\n"]);
  });
});
