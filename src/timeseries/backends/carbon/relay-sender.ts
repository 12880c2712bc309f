import { Socket, connect } from "node:net";
import type { RelayPoint } from "./relay-point.js";
import { encodePoints, type RelayProtocol } from "./wire-encode.js";

export interface RelaySenderOptions {
  host: string;
  port: number;
  protocol: RelayProtocol;
  /** Points per message (one pickle frame, or one write of lines). */
  batchPoints: number;
  /** Reconnect delay: doubles from `backoffMinMs` up to `backoffMaxMs` while connecting fails. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /**
   * Milliseconds points stay held after their write reached the socket: if
   * the connection fails within that time they are sent again. Carbon does
   * not acknowledge, and a write the kernel took may still be lost when the
   * receiver dies; Carbon keeps the last value per timestamp, so a re-sent
   * point changes nothing.
   */
  confirmMs: number;
  /** Called on each connection change, for logs. */
  onState?: (state: "connected" | "disconnected", detail: { error?: string; retryInMs?: number }) => void;
}

interface InFlight {
  readonly points: RelayPoint[];
  /** When the socket took the write (ms); undefined while the write is pending. */
  at?: number;
}

/**
 * One connection to a Carbon receiver and the points waiting for it. Points
 * are sent in order, `batchPoints` per message, as fast as the socket takes
 * them; a point counts as sent once its write is `confirmMs` old on a
 * connection still open. When the connection fails, every point not counted
 * sent goes back to the head of the queue and the sender reconnects with
 * exponential backoff.
 */
export class RelaySender {
  private pending: RelayPoint[] = [];
  private head = 0;
  private inflight: InFlight[] = [];
  private inflightPoints = 0;
  private socket: Socket | null = null;
  private connected = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private backoff = 0;
  private closed = false;
  private waiters: Array<() => void> = [];
  /** Points counted sent (held `confirmMs` on an open connection). */
  sent = 0;
  /** Points written again after a connection failed. */
  resent = 0;
  /** Connections opened. */
  connects = 0;

  constructor(private readonly options: RelaySenderOptions) {}

  /** Points not yet counted sent: waiting, or written and held. */
  get queued(): number {
    return this.pending.length - this.head + this.inflightPoints;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The delay before the next reconnect (0 while connected or never failed). */
  get backoffMs(): number {
    return this.backoff;
  }

  enqueue(points: readonly RelayPoint[]): void {
    if (points.length === 0) return;
    for (const p of points) this.pending.push(p);
    if (!this.socket && !this.reconnectTimer && !this.closed) this.open();
    else this.pump();
  }

  /** Resolves when `queued` changes (or the sender closes): a writer waiting for room looks again. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private open(): void {
    if (this.closed) return;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => {
      if (this.socket !== socket) return;
      this.connected = true;
      this.connects++;
      this.options.onState?.("connected", {});
      this.confirmTimer ??= setInterval(() => this.confirm(), Math.max(10, Math.floor(this.options.confirmMs / 4)));
      this.confirmTimer.unref();
      this.pump();
    });
    socket.on("drain", () => this.pump());
    // Carbon never writes to us: anything read is ignored, and its end of the connection closing ends ours.
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", (hadError) => this.lost(socket, hadError));
  }

  /** The connection is gone: put back what it was not proven to have delivered, and reconnect later. */
  private lost(socket: Socket, hadError: boolean): void {
    if (this.socket !== socket) return;
    const wasConnected = this.connected;
    this.socket = null;
    this.connected = false;
    if (this.inflight.length > 0) {
      const back: RelayPoint[] = [];
      for (const f of this.inflight) for (const p of f.points) back.push(p);
      this.resent += back.length;
      this.pending = back.concat(this.pending.slice(this.head));
      this.head = 0;
      this.inflight = [];
      this.inflightPoints = 0;
    }
    if (this.closed) {
      this.wake();
      return;
    }
    this.backoff = Math.min(this.options.backoffMaxMs, this.backoff ? this.backoff * 2 : this.options.backoffMinMs);
    this.options.onState?.("disconnected", { error: hadError ? "connection failed" : wasConnected ? "closed by the receiver" : "connection refused", retryInMs: this.backoff });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, this.backoff);
    this.reconnectTimer.unref();
    this.wake();
  }

  /** Write messages while the socket takes them. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || !this.connected) return;
    while (this.head < this.pending.length && !socket.writableNeedDrain) {
      const end = Math.min(this.pending.length, this.head + this.options.batchPoints);
      const points = this.pending.slice(this.head, end);
      this.head = end;
      const flight: InFlight = { points };
      this.inflight.push(flight);
      this.inflightPoints += points.length;
      socket.write(encodePoints(this.options.protocol, points), (err) => {
        if (!err) flight.at = Date.now();
      });
    }
    // Compact the consumed head now and then, not on every message.
    if (this.head > 65_536 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  /** Count as sent what has been held `confirmMs` on this open connection. */
  private confirm(): void {
    if (!this.connected) return;
    const before = Date.now() - this.options.confirmMs;
    let n = 0;
    while (this.inflight.length > 0) {
      const f = this.inflight[0];
      if (f.at === undefined || f.at > before) break;
      this.inflight.shift();
      n += f.points.length;
    }
    if (n === 0) return;
    this.inflightPoints -= n;
    this.sent += n;
    // A connection that delivered is a healthy one: the next failure starts the backoff afresh.
    this.backoff = 0;
    this.wake();
  }

  /**
   * Send what is queued and hold it `confirmMs`, for at most `deadlineMs`;
   * then close. Resolves to the points not counted sent (0 = all delivered).
   */
  async close(deadlineMs: number): Promise<number> {
    const until = Date.now() + deadlineMs;
    while (this.queued > 0 && Date.now() < until) {
      if (!this.socket && !this.reconnectTimer) this.open();
      await Promise.race([this.changed(), new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, until - Date.now()))))]);
      this.confirm();
    }
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.confirmTimer) clearInterval(this.confirmTimer);
    this.reconnectTimer = null;
    this.confirmTimer = null;
    const left = this.queued;
    const socket = this.socket;
    if (socket) {
      await new Promise<void>((resolve) => {
        socket.once("close", () => resolve());
        socket.end();
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000).unref();
      });
    }
    this.wake();
    return left;
  }
}
