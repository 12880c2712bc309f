import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, freePort, getJson, spawnCli, type Proc } from "./helpers.js";

// Two schemas match foo.*: `first` (minute, hour) declared before `second` (second, minute), in one SQLite file.
const dir = mkdtempSync(join(tmpdir(), "torus-choice-"));
const config = join(dir, "torus.config.ts");
writeFileSync(
  config,
  `const db = ${JSON.stringify(`sqlite:///${dir}/data.db`)};
export const SCHEMAS = {
  first: { type: "count", host: db, prefix: "first", match: "^foo\\\\.", intervals: { minute: { step: 60, steps: 60 }, hour: { step: "1h", steps: 24 } } },
  second: { type: "count", host: db, prefix: "second", match: "^foo\\\\.", intervals: { second: { step: 1, steps: 600 }, minute: { step: 60, steps: 60 } } },
};
`,
);

const T = Math.floor(Date.now() / 1000) - 30;
const run = promisify(execFile);
/** `torus ARGS` from source, to completion; never throws (the exit code is part of the result). */
async function torusCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), ...args], { cwd: ROOT, timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

let torus: Proc;
let base: string;
beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  torus = spawnCli("torus-main.ts", ["--config", config, "--tcp", `127.0.0.1:${port}`]);
  await torus.waitForLog("torus listening");
  for (const [v, t] of [[3, T], [4, T], [9, T - 1]]) {
    const res = await getJson(`${base}/insert?stat=foo.x&value=${v}&timestamp=${t}`, { method: "POST" });
    expect(res.status).toBe(200);
  }
}, 30_000);
afterAll(async () => {
  await torus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the schema that answers, against a running torus", () => {
  it("/series?interval=second is answered by the first matching schema that has it", async () => {
    const { status, body } = await getJson(`${base}/series?stat=sum(foo.x)&interval=second&start=${T - 1}&end=${T}`);
    expect(status).toBe(200);
    expect(body[0]).toMatchObject({ schema: "second", interval: "second", datapoints: [[9, T - 1], [7, T]] });
    const minute = await getJson(`${base}/series?stat=sum(foo.x)&start=${T}&steps=1`);
    expect(minute.body[0]).toMatchObject({ schema: "first", interval: "minute" });
  });

  it("torus query --interval second prints that schema's buckets", async () => {
    const r = await torusCli(["query", "sum(foo.x)", "--url", base, "--interval", "second", "--start", String(T - 1), "--end", String(T)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").slice(2).map((line) => line.trim().split(/\s+/));
    const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
    expect(rows).toEqual([[iso(T - 1), "9"], [iso(T), "7"]]);
  });

  it("torus query with an interval no matching schema has: one line naming every schema looked at", async () => {
    const r = await torusCli(["query", "foo.x", "--url", base, "--interval", "day"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toHaveLength(2); // one line and its newline
    expect(r.stderr).toMatch(/^torus\b.*\b400: interval: unknown interval "day" for "foo\.x": no schema matching it has one \(looked at first: minute, hour; second: second, minute\)\n$/);
  });
});
