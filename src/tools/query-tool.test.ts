import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, NOW, fixture, type Fixture } from "../query/query-fixture.case.js";
import { formatPlot, formatTable, seriesUrl, useColor, type SeriesEntry } from "./query-tool.js";

/** ANSI escape sequences (built from a string: a literal ESC in a regular expression reads as a mistake). */
const ESC = "\u001b";
const ANSI = new RegExp(`${ESC}\\[\\d*m`, "g");

const entry = (stat: string, points: Array<[number | null, number]>): SeriesEntry => ({ stat, stat_name: stat, schema: "s", interval: "minute", function: "mean", datapoints: points });

describe("query tool formatting", () => {
  it("builds the /series URL with every flag", () => {
    expect(seriesUrl({ url: "http://h:1", stats: ["a", "sum(b,c)"], start: "-1h", steps: "5", interval: "minute", schema: "s" })).toBe(
      "http://h:1/series?stat=a&stat=sum%28b%2Cc%29&start=-1h&steps=5&interval=minute&schema=s",
    );
  });

  it.each([
    [{ start: "2 hours ago" }, "start=2+hours+ago&end=now"],
    [{ start: "-2h", end: "-1h" }, "start=-2h&end=-1h"],
    [{ start: "-2h", steps: "3" }, "start=-2h&steps=3"],
    [{ end: "-1h" }, "end=-1h"],
    [{}, ""],
  ])("with %j asks for %s (only a start: the range ends now, not the interval's default count of buckets later)", (range, query) => {
    expect(seriesUrl({ url: "http://h:1", stats: ["a"], ...range })).toBe(`http://h:1/series?stat=a${query ? `&${query}` : ""}`);
  });

  it("a table: one row per bucket in UTC, one column per stat, '-' where empty", () => {
    const t = formatTable([entry("a", [[1, 1_800_000_000], [null, 1_800_000_060]]), entry("b", [[2.123456789, 1_800_000_000], [3, 1_800_000_060]])]);
    expect(t.split("\n")).toEqual([
      "time                  a        b",
      "--------------------  -  -------",
      "2027-01-15T08:00:00Z  1  2.12346",
      "2027-01-15T08:01:00Z  -        3",
      "",
    ]);
  });

  it("a chart with a legend and the time span; no data says so", () => {
    const p = formatPlot([entry("a", [[1, 1_800_000_000], [5, 1_800_000_060], [null, 1_800_000_120], [2, 1_800_000_180]])]);
    expect(p).toMatch(/┤/);
    expect(p).toContain("2027-01-15T08:00:00Z .. 2027-01-15T08:03:00Z");
    expect(p).toContain(" a");
    expect(formatPlot([entry("a", [[null, 1]])])).toBe("no data in range\n");
  });

  /** The plot's columns right of the axis, one string per column (top to bottom), ANSI codes removed. */
  const columns = (plot: string, buckets: number) => {
    const rows = plot.split("\n").slice(0, -4).map((r) => [...r]);
    const axis = rows[0].findIndex((ch) => ch === "┤" || ch === "┼");
    return Array.from({ length: buckets }, (_, i) => rows.map((r) => r[axis + 1 + i] ?? " ").join(""));
  };

  it("draws empty buckets as gaps, never as a flat line at the last value", () => {
    const t = (i: number) => 1_800_000_000 + i * 3600;
    const values = [1, 5, null, null, 2, 3, null, 4, null, null];
    const p = formatPlot([entry("a", values.map((v, i) => [v, t(i)]))], { height: 8 });
    const cols = columns(p, values.length);
    // Column i is the step from bucket i to i + 1: drawn only when both were measured...
    values.forEach((v, i) => {
      const joined = v !== null && values[i + 1] !== undefined && values[i + 1] !== null;
      const lone = v !== null && values[i - 1] === null && (values[i + 1] ?? null) === null;
      expect(cols[i].trim() !== "", `column ${i}: ${JSON.stringify(cols[i])}`).toBe(joined || lone);
    });
    // ...and a lone bucket is a short mark at its own height.
    expect(cols[7].trim()).toBe("─");
    expect(p).toContain("a (5 of 10 buckets empty, left blank)");
    expect(p).not.toMatch(/last value/);
  });

  it("tells series apart by colour on a terminal, by line style without colour; no ANSI codes unless asked", () => {
    const two = [entry("a", [[1, 1_800_000_000], [2, 1_800_000_060]]), entry("b", [[2, 1_800_000_000], [1, 1_800_000_060]])];
    const plain = formatPlot(two, { color: false });
    expect(plain).not.toContain(ESC);
    expect(plain).toContain("── a   ━━ b");
    const coloured = formatPlot(two, { color: true });
    expect(coloured).toContain(`${ESC}[32m`);
    expect(coloured.replace(ANSI, "")).toContain("── a   ── b");
  });

  it.each([
    [true, {}, true],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, true],
    [false, {}, false],
    [undefined, {}, false],
  ])("colour with isTTY %s and env %j: %s", (isTTY, env, expected) => {
    expect(useColor({ isTTY }, env)).toBe(expected);
  });
});

describe("torus query against a running server", () => {
  let f: Fixture;
  let url: string;
  beforeAll(async () => {
    f = await fixture();
    await f.send([["c.q", 4, NOW - 60], ["c.q", 6, NOW], ["c.r", 1, NOW]]);
    await f.app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(f.app.server.address() as { port: number }).port}`;
  });
  afterAll(() => f.close());

  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "cli", "torus-main.ts"), "query", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "" } });
      // Killed well inside the test's timeout, so a hang shows its output instead of leaving an orphan.
      const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  it("prints a table of the datapoints", async () => {
    const start = MINUTE(NOW) - 120;
    const r = await run(["c.q", "sum(c.q,c.r)", "--url", url, "--start", String(start), "--steps", "3"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
    const rows = r.stdout.trim().split("\n").slice(2).map((l) => l.split(/\s+/));
    expect(rows).toEqual([
      [iso(start), "-", "-"],
      [iso(start + 60), "4", "4"],
      [iso(start + 120), "6", "7"],
    ]);
  });

  it("draws a chart with --plot, without colour codes into a pipe", async () => {
    const r = await run(["c.q", "--url", url, "--start", String(MINUTE(NOW) - 120), "--steps", "3", "--plot"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/┤/);
    expect(r.stdout).not.toContain(ESC);
  });

  it("with only --start, reads up to now: no buckets in the future", async () => {
    const start = MINUTE(NOW) - 120;
    const r = await run(["c.q", "--url", url, "--start", String(start)]);
    expect(r.stderr).toBe("");
    const times = r.stdout.trim().split("\n").slice(2).map((l) => Date.parse(l.split(/\s+/)[0]) / 1000);
    expect(times).toEqual([start, start + 60, start + 120]); // the server's clock reads NOW
  });

  it("passes the server's error through in one line", async () => {
    const r = await run(["c.q", "--url", url, "--interval", "fortnight"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^torus: 400: interval: unknown interval "fortnight" for "c\.q": no schema matching it has one \(looked at counts: minute, hour; counts_daily: day\)$/);
  });
});
