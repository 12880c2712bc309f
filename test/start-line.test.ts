/**
 * The start line: on a terminal, `torus start`, `torus` and `karbon` say
 * where they listen in one plain line (the other logs stay JSON); into a
 * pipe, the JSON "listening" line as before. The terminal is a real
 * pseudo-terminal, made by python3's `pty` module.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { REQUIRED } from "../src/timeseries/testing/must-run.js";
import { dataLocations, describeListeners } from "../src/server/start-line.js";
import { loadConfig } from "../src/config/index.js";
import { BUILT, ROOT, eventually, jsonLogs, reapChildren, sendTcp, spawnCli, wrap } from "./helpers/processes.js";

const havePython = spawnSync("python3", ["-c", "import pty"], { stdio: "ignore" }).status === 0;
if (!havePython && REQUIRED) throw new Error("python3 is required for the terminal start-line test in CI");
if (!havePython) console.warn("\n*** SKIPPING the terminal start-line test: python3 is not installed ***\n");

const dir = mkdtempSync(join(tmpdir(), "torus-start-line-"));
mkdirSync(join(dir, "data"));
const config = join(dir, "c.mjs");
writeFileSync(config, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${join(dir, "data", "c.db")}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };\n`);
/** Child pids inside pseudo-terminals: SIGKILLed after each test (a pty's hangup would only reload them). */
const inner: number[] = [];
afterEach(async () => {
  for (const pid of inner.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await reapChildren();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Run a command on a pseudo-terminal (stdin, stdout and stderr all the
 * terminal); python prints the child's pid first, then copies the terminal's
 * output, and passes SIGTERM on to the child.
 */
const PTY = `
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stdout.write("pid %d\\n" % pid); sys.stdout.flush()
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data); sys.stdout.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 0)
`;

function onTerminal(bin: "torus" | "karbon", args: string[]) {
  const entry = BUILT ? [join(ROOT, "bin", bin)] : ["--import", "tsx", join(ROOT, "src", "cli", `${bin}-main.ts`)];
  const p = wrap(spawn("python3", ["-c", PTY, process.execPath, ...entry, ...args], { cwd: ROOT, env: { ...process.env, TORUS_DATA: join(dir, "bundled") }, stdio: ["ignore", "pipe", "pipe"] }));
  const pid = eventually(() => {
    const m = /^pid (\d+)/.exec(p.output());
    if (m) inner.push(Number(m[1]));
    return m ? Number(m[1]) : null;
  });
  return { p, pid };
}

/** The lines a terminal showed, without carriage returns. */
const lines = (out: string) => out.split(/\r?\n/).filter((l) => l !== "" && !l.startsWith("pid "));

describe.runIf(havePython)("on a terminal", () => {
  it.each([
    ["torus start", "torus", ["start", "--tcp", "localhost:0", "--karbon", "localhost:0"], /^torus: queries on http:\/\/localhost:(\d+), Carbon on localhost:(\d+), data in (.+)$/],
    ["torus", "torus", ["--tcp", "localhost:0", "--config", config], /^torus: queries on http:\/\/localhost:(\d+), data in (.+)$/],
    ["karbon", "karbon", ["--tcp", "localhost:0", "--udp", "localhost:0", "--config", config], /^karbon: Carbon on localhost:(\d+) \(TCP\) and localhost:\d+ \(UDP\), data in (.+)$/],
  ] as const)("%s prints one plain line naming its listeners, and serves on them", async (_label, bin, args, pattern) => {
    const { p, pid } = onTerminal(bin, [...args]);
    const line = await eventually(() => lines(p.output()).find((l) => pattern.test(l)), 20_000);
    const m = pattern.exec(line)!;
    expect(m.at(-1)).toBe(bin === "torus" && args[0] === "start" ? join(dir, "bundled") : join(dir, "data"));
    expect(lines(p.output()).filter((l) => l.startsWith("{"))).toEqual([]); // no JSON "listening" line
    // It really listens there.
    if (bin === "karbon") await sendTcp(Number(m[1]), "c.x 1 100\n");
    else expect((await fetch(`http://localhost:${m[1]}/list`)).status).toBe(200);
    // Everything else is still JSON: the stop.
    process.kill(await pid, "SIGTERM");
    expect(await p.exited).toBe(0);
    const after = lines(p.output()).slice(lines(p.output()).indexOf(line) + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const l of after) expect(() => JSON.parse(l), l).not.toThrow();
    expect(after.map((l) => JSON.parse(l).msg)).toContain("stopped cleanly");
  });
});

describe("into a pipe", () => {
  it.each([
    ["torus", ["--tcp", "127.0.0.1:0", "--config", config], "torus listening"],
    ["karbon", ["--tcp", "127.0.0.1:0", "--config", config], "karbon listening"],
  ] as const)("%s logs JSON only, as before", async (bin, args, msg) => {
    const p = spawnCli(`${bin}-main.ts`, [...args]);
    await p.waitForLog(msg);
    expect(await p.stop()).toBe(0);
    const all = p.output().trim().split("\n");
    expect(all.every((l) => l.startsWith("{"))).toBe(true);
    expect(jsonLogs(p.output()).map((l) => l.msg)).toContain(msg);
  });
});

describe("describeListeners and dataLocations", () => {
  it.each([
    [{ http: { host: "localhost", port: 8080 }, carbonTcp: { host: "localhost", port: 2003 }, data: ["~/.local/share/torus"] }, "torus: queries on http://localhost:8080, Carbon on localhost:2003, data in ~/.local/share/torus"],
    [{ http: { host: "::1", port: 8080 } }, "torus: queries on http://[::1]:8080"],
    [{ carbonUdp: { host: "0.0.0.0", port: 2003 }, metrics: { host: "localhost", port: 9108 } }, "torus: Carbon on 0.0.0.0:2003 (UDP), metrics on http://localhost:9108/metrics"],
    [{ carbonTcp: { host: "localhost", port: 2003 }, carbonPickle: { host: "0.0.0.0", port: 2004 } }, "torus: Carbon on localhost:2003, Carbon pickle on 0.0.0.0:2004"],
  ])("%j → %s", (listeners, line) => {
    expect(describeListeners("torus", listeners)).toBe(line);
  });

  it("names SQLite folders under home with ~, other stores without their password, each once", async () => {
    const file = join(dir, "mixed.mjs");
    writeFileSync(
      file,
      `export const SCHEMAS = {
        a: { host: "sqlite:////home/op/.local/share/torus/a.db", match: "^a", intervals: { m: { step: 60 } } },
        b: { host: "sqlite:////home/op/.local/share/torus/b.db", match: "^b", intervals: { m: { step: 60 } } },
        c: { host: "redis://user:secret@db.example:6379/0", match: "^c", intervals: { m: { step: 60 } } },
        d: { match: "^d", intervals: { m: { step: 60 } } },
      };`,
    );
    expect(dataLocations(await loadConfig([file]), "/home/op")).toEqual(["~/.local/share/torus", "redis://user:***@db.example:6379/0", "memory (not kept)"]);
  });
});
