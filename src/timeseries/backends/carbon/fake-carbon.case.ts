import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A Carbon receiver for tests: listens on loopback and keeps what arrives,
 * as lines (plaintext) or whole frames (pickle: length + body). It can drop
 * every connection, stop, and start again on the same port.
 */
export class FakeCarbon {
  readonly lines: string[] = [];
  readonly frames: Buffer[] = [];
  connections = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly protocol: "plaintext" | "pickle") {}

  async start(port = this.port): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    let tail: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      tail = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (this.protocol === "plaintext") {
        const text = tail.toString("utf8");
        const end = text.lastIndexOf("\n");
        if (end === -1) return;
        for (const line of text.slice(0, end).split("\n")) this.lines.push(line);
        tail = Buffer.from(text.slice(end + 1), "utf8");
        return;
      }
      while (tail.length >= 4 && tail.length >= 4 + tail.readUInt32BE(0)) {
        const n = tail.readUInt32BE(0);
        this.frames.push(tail.subarray(4, 4 + n));
        tail = tail.subarray(4 + n);
      }
    });
  }

  /** Close every open connection at once (a receiver restarting, from the sender's side). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Resolves once `check` holds, polling; rejects after `ms` (only how long a loaded machine may take). */
export async function until(check: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
