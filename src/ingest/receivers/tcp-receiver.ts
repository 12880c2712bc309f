import { readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Logger } from "../../logging/logger.js";
import type { StreamDecoder } from "../protocols/protocol.js";

export interface ReceiverOptions {
  /** After each chunk is decoded: the buffers decide whether to flush or push back. */
  onChunk: () => void;
  logger: Logger;
}

/** Why a connection was refused or closed by karbon for reasons of its transport (metric labels). */
export type ConnectionEvent = "max_connections" | "accept_error" | "idle";

/** What happened to the unterminated tail of a connection closed for idleness: it is dropped, and reported. */
export const IDLE_PARTIAL = "idle_partial";

export interface TcpLimits {
  /** Close a connection that sent nothing for this long (ms); 0 = never. */
  idleTimeoutMs: number;
  /** Refuse new connections while this many are open. */
  maxConnections: number;
}

export interface TcpReceiverOptions extends ReceiverOptions {
  /** A decoder for each new connection (the protocol, with the bounds of the configuration current then). */
  decoder: () => StreamDecoder;
  /** Read for every new connection, so a reload applies to the next one. */
  limits?: () => TcpLimits;
  /** A connection refused or closed by karbon (counted by the caller); `partial`: an idle one held an unterminated tail. */
  onConnectionEvent?: (event: ConnectionEvent, partial?: boolean) => void;
  /** A connection closed because its decoder refused the input (`reason` from the protocol, counted by the caller). */
  onInputRefused?: (reason: string) => void;
}

/** Unbounded unless configured (the library default; karbon passes its config). */
const NO_LIMITS: TcpLimits = { idleTimeoutMs: 0, maxConnections: Number.POSITIVE_INFINITY };

/**
 * How many connections the process's open-file limit leaves room for, or
 * null where it cannot be read (Linux's /proc only). At EMFILE libuv accepts
 * and closes new connections without telling us, so a sender's lines would
 * vanish silently, and stores could not open files either: the connection
 * cap stays below the limit, with room kept for stores, logs and the
 * metrics port, so the cap (a visible, counted reset) is reached first.
 */
export function connectionsAllowedByFileLimit(limitsFile = "/proc/self/limits"): number | null {
  let soft: number;
  try {
    const line = readFileSync(limitsFile, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    soft = Number(line?.split(/\s{2,}/)[1]);
  } catch {
    return null;
  }
  if (!Number.isFinite(soft) || soft <= 0) return null;
  return Math.max(1, soft - Math.max(64, Math.ceil(soft / 8)));
}

/** At most one warning per this many ms for refusals, so a flood cannot flood the log. */
const WARN_EVERY_MS = 10_000;

/**
 * A protocol over TCP: one decoder per connection, chunks decoded as
 * they arrive. Pausing stops reading every socket, so the kernel's window
 * fills and senders wait (backpressure) instead of anything being dropped.
 *
 * Bounds: at most `maxConnections` open connections (a new one past it is
 * reset at once, so its sender sees an error instead of writing into a
 * socket nobody reads); a connection idle for `idleTimeoutMs` is closed
 * after its complete lines were handed on; a connection whose decoder refuses
 * its input (plaintext: an HTTP request, a web page posting to the Carbon
 * port) is closed, and nothing more on it is decoded.
 */
export class TcpReceiver {
  private readonly server: Server;
  /** Open connections, with the idle timeout each was accepted with (suspended while input is paused). */
  private readonly sockets = new Map<Socket, number>();
  private paused = false;
  private readonly limits: () => TcpLimits;
  private lastWarn = 0;
  private unwarned = 0;

  constructor(private readonly options: TcpReceiverOptions) {
    this.limits = options.limits ?? (() => NO_LIMITS);
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host, port }, () => {
        this.server.off("error", onError);
        this.server.on("error", (err: NodeJS.ErrnoException) => {
          // An accept the system refused (ENFILE, say); the listener stays up. Count and report it like
          // any refusal. (At EMFILE libuv mostly sheds connections without telling us: the cap, kept
          // below the open-file limit, is there so that it never comes to that.)
          if (err.syscall === "accept") return this.refused("accept_error", { err: err.message, code: err.code });
          this.options.logger.error({ err: err.message }, "TCP listener error");
        });
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  private refused(event: ConnectionEvent, detail: Record<string, unknown>): void {
    this.options.onConnectionEvent?.(event);
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) {
      this.unwarned++;
      return;
    }
    this.options.logger.warn({ ...detail, reason: event, open: this.sockets.size, alsoRefusedSinceLastWarning: this.unwarned }, "connection refused");
    this.lastWarn = now;
    this.unwarned = 0;
  }

  private accept(socket: Socket): void {
    const limits = this.limits();
    if (this.sockets.size >= limits.maxConnections) {
      this.refused("max_connections", { peer: socket.remoteAddress, max: limits.maxConnections });
      // A reset, not a FIN: a sender writing into a half-closed socket would think its lines arrived.
      socket.on("error", () => {});
      socket.resetAndDestroy();
      return;
    }
    const decoder = this.options.decoder();
    this.sockets.set(socket, limits.idleTimeoutMs);
    socket.setNoDelay(true);
    if (this.paused) socket.pause();
    const onData = (chunk: Buffer) => {
      const close = decoder.push(chunk);
      if (close !== null) {
        this.options.onInputRefused?.(close.reason);
        this.options.logger.warn({ peer: socket.remoteAddress, ...close.detail }, close.message);
        socket.off("data", onData);
        socket.destroy();
      }
      this.options.onChunk();
    };
    socket.on("data", onData);
    // The sender closed its side: its last unit is complete even without a terminator.
    socket.on("end", () => {
      decoder.end();
      this.options.onChunk();
      socket.end();
    });
    if (limits.idleTimeoutMs > 0) {
      if (!this.paused) socket.setTimeout(limits.idleTimeoutMs);
      socket.on("timeout", () => {
        // Every complete line was handed on as it arrived; an unterminated tail after this long is
        // a line cut short, not one to guess at (a truncated timestamp would store at the wrong time).
        const partial = decoder.pendingBytes > 0;
        this.options.onConnectionEvent?.("idle", partial);
        this.options.logger.debug({ peer: socket.remoteAddress, idleMs: limits.idleTimeoutMs, partial }, "closing an idle connection");
        socket.off("data", onData);
        socket.destroy();
      });
    }
    socket.on("error", (err) => this.options.logger.debug({ err: err.message }, "connection error"));
    socket.on("close", () => this.sockets.delete(socket));
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stop reading (backpressure). A sender held back by us is not idle: idle timeouts wait too. */
  pause(): void {
    this.paused = true;
    for (const [s, idle] of this.sockets) {
      s.pause();
      if (idle > 0) s.setTimeout(0);
    }
  }

  resume(): void {
    this.paused = false;
    for (const [s, idle] of this.sockets) {
      s.resume();
      if (idle > 0) s.setTimeout(idle);
    }
  }

  /**
   * Stop accepting; then, for up to `drainMs`, let open connections finish
   * before dropping them. Each is half-closed (a FIN: "no more from karbon")
   * and read on until its sender closes its side, so every line a sender
   * wrote before its own close is decoded and goes into the flush that
   * shutdown makes. A sender that reacts to the FIN by closing and sending
   * the rest elsewhere loses nothing and doubles nothing. Connections still
   * open at the deadline are dropped (what sits unread in them is lost, and
   * the sender sees a reset); a partial line not yet terminated when a
   * connection is dropped was never accepted. `drainMs` 0: drop at once.
   */
  async close(drainMs = 0): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (drainMs > 0 && this.sockets.size > 0) {
      const open = [...this.sockets.keys()];
      const gone = Promise.all(open.map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())))));
      for (const s of open) {
        // Idle timeouts no longer apply; a receiver paused by a full buffer reads on once flushes make room.
        s.setTimeout(0);
        s.end();
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
      clearTimeout(timer);
    }
    for (const s of this.sockets.keys()) {
      s.removeAllListeners("data");
      s.removeAllListeners("end");
      s.destroy();
    }
    return closed;
  }
}
