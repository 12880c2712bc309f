import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, freePort } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "torus-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, "good.ts");
writeFileSync(good, `export const SCHEMAS = { c: { type: "count", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };\n`);
const broken = join(dir, "broken.ts");
writeFileSync(broken, "export const SCHEMAS = {{ nope");
const invalid = join(dir, "invalid.ts");
writeFileSync(invalid, `export const SCHEMAS = { c: { type: "counter", match: "x", intervals: { minute: { step: 60 } } } };\n`);

/** Run `torus ARGS` from source to completion. */
function torus(args: string[], timeout = 30_000) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("torus --help", () => {
  it.each([[[]], [["web"]], [["start"]], [["migrate"]], [["query"]]])("torus %j --help exits 0 with usage", (sub) => {
    const r = torus([...sub, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: torus/);
  });

  it("lists every command", () => {
    const r = torus(["--help"]);
    for (const c of ["web", "start", "migrate", "query", "--tcp", "--config"]) expect(r.stdout).toContain(c);
  });
});

describe("user mistakes end in one line and a non-zero exit", () => {
  let busy: Server;
  afterAll(() => busy?.close());

  const cases: Array<[string, () => Promise<string[]> | string[], RegExp]> = [
    ["an unknown flag", () => ["--bogus"], /unknown option '--bogus'/],
    ["an unknown command", () => ["frobnicate"], /too many arguments|unknown command/],
    ["a bad --tcp", () => ["--tcp", "nowhere", "--config", good], /--tcp: cannot parse "nowhere"/],
    ["a bad --karbon", () => ["start", "--karbon", "x:y", "--config", good], /--karbon: cannot parse "x:y"/],
    ["no config", () => [], /--config: at least one configuration file is required/],
    ["a missing config", () => ["--config", join(dir, "missing.ts")], /missing\.ts": no such file/],
    ["a config that does not parse", () => ["--config", broken], /broken\.ts": cannot load/],
    ["an invalid config", () => ["--config", invalid], /schema "c": type: unknown type "counter"/],
    [
      "a port in use",
      async () => {
        busy = createServer();
        const port = await freePort();
        await new Promise<void>((r) => busy.listen(port, "127.0.0.1", () => r()));
        return ["--tcp", `127.0.0.1:${port}`, "--config", good];
      },
      /cannot listen on 127\.0\.0\.1:\d+: address already in use/,
    ],
    ["migrate without its required flags", () => ["migrate", "--config", good], /required option '--source <schema>' not specified/],
    ["migrate from an unknown schema", () => ["migrate", "--config", good, "--source", "nope", "--destination", "c", "--interval", "minute"], /--source: unknown schema "nope"/],
    ["migrate with a bad --match", () => ["migrate", "--config", good, "--source", "c", "--destination", "c", "--interval", "minute", "--match", "("], /--match: "\(" is not a valid regular expression/],
    ["migrate with a bad --start", () => ["migrate", "--config", good, "--source", "c", "--destination", "c", "--interval", "minute", "--start", "someday"], /--start: cannot parse time "someday"/],
    ["migrate with --concurrency 0", () => ["migrate", "--config", good, "--source", "c", "--destination", "c", "--interval", "minute", "--concurrency", "0"], /--concurrency.*positive whole number/],
    ["query with no server", async () => ["query", "c.x", "--url", `http://127.0.0.1:${await freePort()}`], /cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/],
    ["query with a bad --url", () => ["query", "c.x", "--url", "not a url"], /--url: "not a url" is not a URL/],
    ["query without a stat", () => ["query"], /missing required argument 'stat'/],
  ];

  it.each(cases)("%s", async (_label, args, message) => {
    const r = torus(await args());
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("{")); // JSON log lines are logs, not the error
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
