import { spawnSync } from "node:child_process";
import { shouldRun } from "../../src/timeseries/testing/must-run.js";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Debian's python3-whisper (whisper-create/update/fetch and the module); with CI=true never skipped. */
export const WHISPER_TOOLS = shouldRun("whisper import", has("whisper-fetch") && has("whisper-create") && has("whisper-update"), "python3-whisper is not installed", "apt-get install -y python3-whisper.");
/** Debian's graphite-carbon (carbon-cache). */
export const CARBON_CACHE = shouldRun("carbon-cache import", has("carbon-cache") && WHISPER_TOOLS, "graphite-carbon is not installed", "apt-get install -y graphite-carbon.");

/** Run a program to completion; its stdout, or an error with its stderr. */
export function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")}…: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface ArchiveInfo {
  secondsPerPoint: number;
  points: number;
  retention: number;
}

/** python3-whisper's `whisper.info` of a file. */
export function whisperInfo(path: string): { aggregationMethod: string; archives: ArchiveInfo[] } {
  return JSON.parse(run("/usr/bin/python3", ["-c", "import json, sys, whisper; print(json.dumps(whisper.info(sys.argv[1])))", path]));
}

/**
 * Every non-null point of archive `index` as `whisper-fetch --json` prints it:
 * a range a minute shorter than the archive's retention, so whisper-fetch
 * answers from that archive even if its clock ticks meanwhile.
 */
export function fetchArchive(path: string, index: number): Map<number, number> {
  const a = whisperInfo(path).archives[index];
  const now = Math.floor(Date.now() / 1000);
  const out = JSON.parse(run("whisper-fetch", ["--json", `--from=${now - a.retention + 60}`, `--until=${now}`, path]));
  if (out.step !== a.secondsPerPoint) throw new Error(`whisper-fetch answered from the ${out.step}s archive, not archive ${index}`);
  const points = new Map<number, number>();
  (out.values as Array<number | null>).forEach((v, i) => {
    if (v !== null) points.set(out.start + i * out.step, v);
  });
  return points;
}
