import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A port nobody is listening on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the first JSON log line whose msg is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, any>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Run a CLI from source (tsx) as its own process, as a user would run it. */
export function spawnCli(entry: string, args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return wrap(proc);
}

export function wrap(proc: ChildProcess): Proc {
  let out = "";
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString("utf8");
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const find = (msg: string) => {
    for (const line of out.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const j = JSON.parse(line);
        if (j.msg === msg) return j;
      } catch {
        // a partial line
      }
    }
    return null;
  };
  return {
    proc,
    output: () => out,
    exited,
    waitForLog(msg, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(msg)}; output:\n${out}`)), timeoutMs);
        const check = () => {
          const hit = find(msg);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (proc.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited (${proc.exitCode}) before ${JSON.stringify(msg)}; output:\n${out}`));
          } else waiters.push(check);
        };
        proc.on("exit", check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Send Carbon plaintext over one TCP connection and wait for the close. */
export function sendTcp(port: number, text: string, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.end(text));
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `check` returns a truthy value; return it. */
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

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text and the like
  }
  return { status: res.status, body };
}
