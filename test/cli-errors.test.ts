/**
 * Every command's mistakes, run through the real binaries: one line on
 * stderr naming the problem and where to look, exit 2 for a usage mistake
 * (unknown option or command, a missing or bad value, an unexpected
 * argument), exit 1 for a runtime failure (a missing or broken config, a
 * port in use, a server that is not there). Never the whole help, never a
 * stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, reapChildren, runBin } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-cli-errors-"));
const good = join(dir, "good.mjs");
writeFileSync(good, `export const SCHEMAS = { c: { type: "count", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };\n`);
const broken = join(dir, "broken.ts");
writeFileSync(broken, "export const SCHEMAS = {{ nope");
const invalid = join(dir, "invalid.ts");
writeFileSync(invalid, `export const SCHEMAS = { c: { type: "counter", match: "x", intervals: { minute: { step: 60 } } } };\n`);
const missing = join(dir, "missing.ts");
// A store that cannot open: its folder does not exist.
const storeDown = join(dir, "store-down.mjs");
writeFileSync(storeDown, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${join(dir, "no", "such", "x.db")}", match: "^c\\.", intervals: { minute: { step: 60 } } } };\n`);
const COMMANDS = "start, web, query, migrate, schema-debug, schema-test, import-whisper";

let busy: Server;
let busyPort = 0;
let closedPort = 0;
beforeAll(async () => {
  closedPort = await freePort();
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterEach(() => reapChildren());
afterAll(async () => {
  await new Promise((r) => busy?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** `$BUSY` is a port something listens on, `$CLOSED` one nothing listens on. */
type Case = [bin: "torus" | "karbon", args: string[], code: 1 | 2, line: string | RegExp];
const migrate = ["migrate", "--config", good, "--source", "c", "--destination", "c", "--interval", "minute"];

const cases: Case[] = [
  // karbon
  ["karbon", ["--no-such-flag"], 2, "karbon: unknown option '--no-such-flag' (see karbon --help)"],
  ["karbon", ["--tpc", "1"], 2, "karbon: unknown option '--tpc'; did you mean --tcp? (see karbon --help)"],
  ["karbon", ["--config", good, "--tcp"], 2, "karbon: option '--tcp <host:port>' argument missing (see karbon --help)"],
  ["karbon", ["--config", good, "--tcp", "nonsense"], 2, 'karbon: --tcp: cannot parse "nonsense"; use host:port, :port or port (see karbon --help)'],
  ["karbon", ["--config", good, "--udp", "x:y"], 2, /^karbon: --udp: cannot parse "x:y"/],
  ["karbon", ["--config", good, "--metrics", "port"], 2, /^karbon: --metrics: cannot parse "port"/],
  ["karbon", ["--config", good, "--workers", "0"], 2, 'karbon: --workers: expected a whole number from 1 to 64, got "0" (see karbon --help)'],
  ["karbon", [], 2, "karbon: --config: at least one configuration file is required, e.g. --config examples/statsd.ts (see karbon --help)"],
  ["karbon", ["--config", good, "stray"], 2, "karbon: unexpected argument 'stray' (see karbon --help)"],
  ["karbon", ["--config", missing], 1, /^karbon: .*missing\.ts.*no such file/],
  ["karbon", ["--config", broken], 1, /^karbon: .*broken\.ts.*cannot load/],
  ["karbon", ["--config", storeDown, "--tcp", "127.0.0.1:0"], 1, /^karbon: sqlite:.*x\.db: cannot open SQLite database/],
  ["karbon", ["--config", good, "--tcp", "127.0.0.1:$BUSY"], 1, /^karbon: cannot listen on 127\.0\.0\.1:\d+: address already in use$/],
  // torus (the query server)
  ["torus", ["bogus"], 2, `torus: unknown command 'bogus' (commands: ${COMMANDS})`],
  ["torus", ["--bogus"], 2, "torus: unknown option '--bogus' (see torus --help)"],
  ["torus", ["--config", good, "--tcp", "nowhere"], 2, /^torus: --tcp: cannot parse "nowhere".* \(see torus --help\)$/],
  ["torus", ["--config", good, "--workers", "many"], 2, /^torus: --workers: expected a whole number/],
  ["torus", [], 2, /^torus: --config: at least one configuration file is required.* \(see torus --help\)$/],
  ["torus", ["--config", missing], 1, /^torus: .*missing\.ts.*no such file/],
  ["torus", ["--config", invalid], 1, /^torus: .*schema "c": type: unknown type "counter"/],
  ["torus", ["--config", good, "--tcp", "127.0.0.1:$BUSY"], 1, /^torus: cannot listen on 127\.0\.0\.1:\d+: address already in use$/],
  // torus web
  ["torus", ["web", "--bogus"], 2, "torus web: unknown option '--bogus' (see torus web --help)"],
  ["torus", ["web", "--config", good, "stray"], 2, "torus web: unexpected argument 'stray' (see torus web --help)"],
  ["torus", ["web", "--config", good, "--tcp"], 2, "torus web: option '--tcp <host:port>' argument missing (see torus web --help)"],
  ["torus", ["web", "--config", broken], 1, /^torus: .*broken\.ts.*cannot load/],
  // torus start
  ["torus", ["start", "--nope"], 2, "torus start: unknown option '--nope' (see torus start --help)"],
  ["torus", ["start", "stray"], 2, "torus start: unexpected argument 'stray' (see torus start --help)"],
  ["torus", ["start", "--karbon", "x:y", "--config", good], 2, /^torus start: --karbon: cannot parse "x:y".* \(see torus start --help\)$/],
  ["torus", ["start", "--config"], 2, "torus start: option '--config <file>' argument missing (see torus start --help)"],
  ["torus", ["start", "--config", storeDown, "--tcp", "127.0.0.1:0", "--karbon", "127.0.0.1:0"], 1, /^torus: sqlite:.*x\.db: cannot open SQLite database/],
  ["torus", ["start", "--config", missing], 1, /^torus: .*missing\.ts.*no such file/],
  ["torus", ["start", "--config", good, "--tcp", "127.0.0.1:0", "--karbon", "127.0.0.1:$BUSY"], 1, /^torus: cannot listen on 127\.0\.0\.1:\d+: address already in use$/],
  // torus query
  ["torus", ["query"], 2, "torus query: missing required argument 'stat' (see torus query --help)"],
  ["torus", ["query", "c.x", "--bogus"], 2, "torus query: unknown option '--bogus' (see torus query --help)"],
  ["torus", ["query", "c.x", "--url", "not a url"], 2, /^torus query: --url: "not a url" is not a URL/],
  ["torus", ["query", "c.x", "--steps", "many"], 2, 'torus query: --steps: expected a positive whole number, got "many" (see torus query --help)'],
  ["torus", ["query", "c.x", "--url", "http://127.0.0.1:$CLOSED"], 1, /^torus: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused \(is torus running\?\)$/],
  // torus migrate
  ["torus", ["migrate", "--config", good], 2, "torus migrate: required option '--source <schema>' not specified (see torus migrate --help)"],
  ["torus", [...migrate, "--concurrency", "0"], 2, "torus migrate: option '--concurrency <n>' argument '0' is invalid. expected a positive whole number (see torus migrate --help)"],
  ["torus", [...migrate, "--match", "("], 2, /^torus migrate: --match: "\(" is not a valid regular expression/],
  ["torus", [...migrate, "--start", "someday"], 2, /^torus migrate: --start: cannot parse time "someday"/],
  ["torus", ["migrate", "--config", good, "--source", "nope", "--destination", "c", "--interval", "minute"], 1, /^torus: --source: unknown schema "nope"/],
  ["torus", [...migrate, "stray"], 2, "torus migrate: unexpected argument 'stray' (see torus migrate --help)"],
  ["torus", ["migrate", "--source", "c", "--destination", "c", "--interval", "minute"], 2, /^torus migrate: --config: at least one configuration file is required/],
  ["torus", ["migrate", "--config", missing, "--source", "c", "--destination", "c", "--interval", "minute"], 1, /^torus: .*missing\.ts.*no such file/],
  // torus schema-debug
  ["torus", ["schema-debug", "--config", good], 2, "torus schema-debug: missing required argument 'strings' (see torus schema-debug --help)"],
  ["torus", ["schema-debug", "x"], 2, /^torus schema-debug: --config: at least one configuration file is required/],
  ["torus", ["schema-debug", "--bogus", "x"], 2, "torus schema-debug: unknown option '--bogus' (see torus schema-debug --help)"],
  ["torus", ["schema-debug", "--config", missing, "x"], 1, /^torus: .*missing\.ts.*no such file/],
  // torus schema-test
  ["torus", ["schema-test"], 2, /^torus schema-test: --config: at least one configuration file is required/],
  ["torus", ["schema-test", "--config", good, "--duration", "-1"], 2, /^torus schema-test: --duration: expected a positive number of seconds/],
  ["torus", ["schema-test", "--config", good, "stray"], 2, "torus schema-test: unexpected argument 'stray' (see torus schema-test --help)"],
  ["torus", ["schema-test", "--config", good, "--duration"], 2, "torus schema-test: option '--duration <seconds>' argument missing (see torus schema-test --help)"],
  ["torus", ["schema-test", "--config", missing], 1, /^torus: .*missing\.ts.*no such file/],
];

describe("command-line mistakes: one line, exit 2 for usage, 1 at run time", () => {
  it.each(cases)("%s %j exits %i", async (bin, args, code, line) => {
    const r = await runBin(bin, args.map((a) => a.replace("$BUSY", String(busyPort)).replace("$CLOSED", String(closedPort))));
    const lines = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("{")); // JSON lines are logs, not the error
    expect(lines, r.stderr).toHaveLength(1);
    if (typeof line === "string") expect(lines[0]).toBe(line);
    else expect(lines[0]).toMatch(line);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe(""); // no help on stdout either
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it.each([["karbon", ""], ["torus", ""], ["torus", "start"], ["torus", "web"], ["torus", "query"], ["torus", "migrate"], ["torus", "schema-debug"], ["torus", "schema-test"]])(
    "%s %s --help exits 0 with the usage on stdout",
    async (bin, sub) => {
      const r = await runBin(bin as "torus" | "karbon", sub ? [sub, "--help"] : ["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ${bin}${sub ? ` ${sub}` : ""} `));
      expect(r.stderr).toBe("");
    },
  );
});
