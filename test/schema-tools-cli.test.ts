/** `torus schema-debug` and `torus schema-test` as commands, in real processes. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ROOT, reapChildren, spawnCli } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-schema-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

describe("torus schema-debug / schema-test", () => {
  it("schema-debug prints schemas with hosts and the aggregate cascade", async () => {
    const p = spawnCli("torus-main.ts", ["schema-debug", "--config", join(ROOT, "examples", "statsd.ts"), "stats_counts.web.login", "no.such.stat"], { TORUS_DATA: dir });
    expect(await p.exited).toBe(0);
    const out = p.output();
    expect(out).toContain(`stats_counts.web.login\n  schema counts (count) sqlite:///${join(dir, "counts.db")} -> stats_counts.web.login\n  aggregate stats_counts.<app> <- stats_counts.<app>.*\n    stats_counts.web\n`);
    expect(out).toContain("no.such.stat\n  (no schema: dead letter)\n");
  });

  it("schema-test runs the generators and prints the summary tables", async () => {
    const config = join(dir, "gen.mjs");
    writeFileSync(
      config,
      `let i = 0;
       export const SCHEMAS = { hits: { match: "^hits\\\\.", host: "sqlite:///${join(dir, "gen.db")}", intervals: { m: { step: 60 } }, generator: () => ["hits.a" + (i++ % 4), 1] } };
       export const AGGREGATES = [["hits.total", "hits.*"]];`,
    );
    const p = spawnCli("torus-main.ts", ["schema-test", "--config", config, "--duration", "1", "--clear"]);
    expect(await p.exited).toBe(0);
    const out = p.output();
    const emitted = Number(/emitted\s+(\d+)/.exec(out)![1]);
    expect(emitted).toBeGreaterThan(0);
    expect(out).toMatch(new RegExp(`inserted\\s+${emitted * 2}\\n`));
    expect(out).toMatch(/inserts\/sec\s+\d+/);
    expect(out).toMatch(new RegExp(`hits\\s+${emitted * 2}\\n`));
    expect(out).toMatch(new RegExp(`hits.total <- hits.\\*\\s+${emitted}\\n`));
  });

  it.each([
    [["schema-debug", "x"], /--config: at least one configuration file is required/],
    [["schema-test", "--config", "/nope.ts"], /no such file/],
    [["schema-test", "--config", join(ROOT, "examples", "statsd.ts"), "--duration", "-1"], /--duration: expected a positive number of seconds/],
  ])("rejects %j in one line", async (args, message) => {
    const p = spawnCli("torus-main.ts", args, { TORUS_DATA: dir });
    expect(await p.exited).not.toBe(0);
    expect(p.output()).toMatch(message);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});
