import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Spawned {
  proc: ChildProcess;
  /** Everything written to stderr and stdout so far. */
  output(): string;
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, any>>;
  /**
   * Resolves with the exit code; rejects, with the output, if the process
   * has not exited {@link EXIT_WAIT_MS} after this is read (less than a
   * test's timeout, so a hang reports what the process said).
   */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  /** Signal the process (SIGTERM by default) unless it has exited, and wait for its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Run a CLI entry as a separate process: from source through tsx, or the
 * built file in dist/ when `built` is set (benchmarks measure what ships).
 */
export function spawnCli(entry: string, args: string[], env: Record<string, string> = {}, built = false, nodeArgs: readonly string[] = []): Spawned {
  const argv = [...nodeArgs, ...(built ? [join(ROOT, "dist", "cli", entry.replace(/\.ts$/, ".js")), ...args] : ["--import", "tsx", join(ROOT, "src", "cli", entry), ...args])];
  const proc = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return wrap(proc);
}

/** True when `npm run build` has produced dist/ (what bin/torus and bin/karbon run). */
export const BUILT = existsSync(join(ROOT, "dist", "cli", "torus-main.js")) && existsSync(join(ROOT, "dist", "cli", "karbon-main.js"));

/**
 * Run `bin/torus` or `bin/karbon` to completion (the built CLI, as a user
 * runs it; from source through tsx when there is no build). Killed after
 * `timeoutMs`, shorter than a test's timeout so the output shows.
 */
export function runBin(name: "torus" | "karbon", args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = BUILT ? [join(ROOT, "bin", name)] : ["--import", "tsx", join(ROOT, "src", "cli", `${name}-main.ts`)];
  const proc = track(spawn(process.execPath, [...argv, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] }));
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d) => (stdout += d));
  proc.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  return new Promise((resolve) =>
    proc.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** How long `exited` and `stop()` wait for a process to exit. */
export const EXIT_WAIT_MS = 20_000;

/** Children started through these helpers and not yet exited: what {@link reapChildren} kills. */
const live = new Set<ChildProcess>();

/** Track any child process (a private redis-server, statsd, ...) so {@link reapChildren} kills it too. */
export function track<T extends ChildProcess>(proc: T): T {
  if (proc.exitCode === null && proc.signalCode === null) {
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
  }
  return proc;
}

/**
 * SIGKILL every tracked child still running and wait for it to exit. Test
 * files call it from `afterEach` (or `afterAll` for processes shared by
 * their tests), so a failing test leaves no orphan holding ports or files.
 */
export async function reapChildren(): Promise<void> {
  const exits = [...live].map((p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once("exit", () => resolve()))));
  for (const p of live) p.kill("SIGKILL");
  await Promise.all(exits);
}

/** Collect a child process's output and offer waits on its JSON log lines. */
export function wrap(proc: ChildProcess): Spawned {
  track(proc);
  let out = "";
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString("utf8");
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const findLog = (msg: string) => {
    for (const line of out.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const j = JSON.parse(line);
        if (j.msg === msg) return j;
      } catch {
        // a partial line: wait for more
      }
    }
    return null;
  };
  return {
    proc,
    output: () => out,
    get exited() {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      return new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`process ${proc.pid} did not exit within ${EXIT_WAIT_MS} ms; output:\n${out}`)), EXIT_WAIT_MS);
        void exited.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
    kill: (signal = "SIGTERM") => void proc.kill(signal),
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return this.exited;
    },
    waitForLog(msg, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for log ${JSON.stringify(msg)}; output:\n${out}`)), timeoutMs);
        const check = () => {
          const hit = findLog(msg);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (proc.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${proc.exitCode}) before logging ${JSON.stringify(msg)}; output:\n${out}`));
          } else waiters.push(check);
        };
        proc.on("exit", check);
        check();
      });
    },
  };
}

/** Send text over one TCP connection, whole or in the given chunks, then close it and wait for the close. */
export function sendTcp(port: number, chunks: string | Array<string | Buffer>, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, async () => {
      for (const c of typeof chunks === "string" ? [chunks] : chunks) {
        if (!socket.write(c)) await new Promise((r) => socket.once("drain", r));
      }
      socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `check` returns a truthy value (errors count as not yet); return it. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 100): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`condition not met in time${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(everyMs);
  }
}

/** A free port on 127.0.0.1 (bind port 0, read it, release it), TCP or UDP. */
export function freePort(udp = false): Promise<number> {
  if (udp) {
    return new Promise((resolve) => {
      const s = createSocket("udp4");
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** Every JSON log line of a process's output, parsed. */
export function jsonLogs(output: string): Array<Record<string, any>> {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}
