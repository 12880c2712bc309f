import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, NOW, fixture, type Fixture } from "../query/query-fixture.case.js";
import { formatPlot, formatTable, seriesUrl, type SeriesEntry } from "./query-tool.js";

const entry = (stat: string, points: Array<[number | null, number]>): SeriesEntry => ({ stat, stat_name: stat, schema: "s", interval: "minute", function: "mean", datapoints: points });

describe("query tool formatting", () => {
  it("builds the /series URL with every flag", () => {
    expect(seriesUrl({ url: "http://h:1", stats: ["a", "sum(b,c)"], start: "-1h", steps: "5", interval: "minute", schema: "s" })).toBe(
      "http://h:1/series?stat=a&stat=sum%28b%2Cc%29&start=-1h&steps=5&interval=minute&schema=s",
    );
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
      const p = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "cli", "torus-main.ts"), "query", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("exit", (code) => resolve({ code, stdout, stderr }));
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

  it("draws a chart with --plot", async () => {
    const r = await run(["c.q", "--url", url, "--start", String(MINUTE(NOW) - 120), "--steps", "3", "--plot"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/┤/);
  });

  it("passes the server's error through in one line", async () => {
    const r = await run(["c.q", "--url", url, "--interval", "fortnight"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^torus: 400: interval: unknown interval "fortnight" for "c\.q": no schema matching it has one \(looked at counts: minute, hour; counts_daily: day\)$/);
  });
});
