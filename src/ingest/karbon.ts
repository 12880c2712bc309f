import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import type { Logger } from "../logging/logger.js";
import type { PointSink, WriteOutcome } from "../runtime/point-sink.js";
import type { Runtime, RuntimeSource } from "../runtime/runtime.js";
import type { Store } from "../timeseries/index.js";
import { Dispatcher } from "./dispatcher.js";
import { createIngestLog } from "./ingest-log.js";
import { KarbonMetrics } from "./karbon-metrics.js";
import { buildMetricsApp, listenMetrics, localMetrics } from "./metrics-server.js";
import type { BadLineReason, PlaintextSink } from "./plaintext-parser.js";
import { connectionsAllowedByFileLimit, IDLE_PARTIAL, TcpReceiver, type ConnectionEvent, type TcpLimits } from "./tcp-receiver.js";
import { UdpReceiver } from "./udp-receiver.js";
import { WriteBuffer } from "./write-buffer.js";

export interface KarbonOptions {
  /** The runtime to ingest into, and news of each reload (the runtime host; karbon reads no files). */
  runtime: RuntimeSource;
  tcp?: { host: string; port: number } | null;
  udp?: { host: string; port: number } | null;
  metrics?: { host: string; port: number } | null;
  logger: Logger;
  /** How long shutdown keeps retrying a failing store before giving up. */
  shutdownDeadlineMs?: number;
  /** The log line announcing the ports ("karbon listening"; workers of `--workers` say so per worker). */
  listeningMessage?: string;
  /** Unix seconds now, for retention and the timestamp window (tests pin it). */
  clock?: () => number;
  /** Announce the ports some other way (a plain line on a terminal) instead of the JSON log line. */
  announce?: (addresses: KarbonAddresses, fields: Record<string, unknown>) => void;
}

export interface KarbonAddresses {
  tcp: AddressInfo | null;
  udp: AddressInfo | null;
  metrics: AddressInfo | null;
}

/**
 * The ingest server: receivers → dispatcher (routing) → per-store write
 * buffers → stores. It ingests into the runtime its source gives, rebuilds
 * its dispatcher when the source installs a new one (a reload), and owns a
 * clean shutdown (flush what was accepted). Also the write path of
 * `/insert` ({@link PointSink}).
 */
export class Karbon implements PointSink {
  readonly metrics = new KarbonMetrics();
  private runtime!: Runtime;
  private dispatcher!: Dispatcher;
  private readonly buffers = new Map<Store, WriteBuffer>();
  private tcp: TcpReceiver | null = null;
  private udp: UdpReceiver | null = null;
  private http: FastifyInstance | null = null;
  private readonly pressured = new Set<WriteBuffer>();
  /** Forwards parser callbacks to the current dispatcher, so a reload swaps it under open connections. */
  readonly sink: PlaintextSink = {
    point: (stat: string, value: string, ts: number) => this.dispatcher.point(stat, value, ts),
    bad: (reason: BadLineReason, excerpt: string) => this.dispatcher.bad(reason, excerpt),
  };

  constructor(private readonly options: KarbonOptions) {}

  get config(): Config {
    return this.runtime.config;
  }

  /** The current routing (schema-test and tests drive it directly). */
  get current(): Dispatcher {
    return this.dispatcher;
  }

  /** Wire the current runtime (and every later one) to write buffers, and start listening. */
  async start(): Promise<KarbonAddresses> {
    this.install(this.options.runtime.runtime());
    this.options.runtime.onInstall((runtime) => this.install(runtime));
    const config = this.runtime.config;
    const logger = this.options.logger;
    const receiverOptions = {
      sink: this.sink,
      maxLineLength: () => this.runtime.config.maxLineLength,
      onChunk: () => this.afterChunk(),
      logger,
    };
    const out: KarbonAddresses = { tcp: null, udp: null, metrics: null };
    try {
      if (this.options.tcp) {
        const tcpLimits = this.tcpLimits();
        tcpLimits(); // warns now, not at the first connection, if the open-file limit lowers the cap
        this.tcp = new TcpReceiver({
          ...receiverOptions,
          limits: tcpLimits,
          onConnectionEvent: (event, partial) => this.onConnectionEvent(event, partial),
        });
        const tcp = this.tcp;
        this.metrics.openConnections = () => tcp.connections;
        out.tcp = await this.tcp.listen(this.options.tcp.host, this.options.tcp.port);
      }
      if (this.options.udp) {
        this.udp = new UdpReceiver({ ...receiverOptions, dropped: () => this.metrics.bad("udp_dropped") });
        out.udp = await this.udp.listen(this.options.udp.host, this.options.udp.port);
      }
      if (this.options.metrics) {
        this.http = buildMetricsApp(localMetrics(this.metrics), config.http);
        out.metrics = await listenMetrics(this.http, this.options.metrics.host, this.options.metrics.port);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    const fields = { tcp: out.tcp, udp: out.udp, metrics: out.metrics, schemas: config.schemas.length, flushInterval: config.flushInterval };
    if (this.options.announce) this.options.announce(out, fields);
    else logger.info(fields, this.options.listeningMessage ?? "karbon listening");
    return out;
  }

  /** Buffers for stores not seen before, and a new dispatcher over the runtime. */
  private install(runtime: Runtime): void {
    const config = runtime.config;
    const log = createIngestLog(this.options.logger, config.debug);
    for (const s of runtime.schemas) {
      if (!this.buffers.has(s.store)) {
        const buffer = new WriteBuffer(s.store, {
          flushInterval: config.flushInterval,
          maxRows: config.bufferMaxRows,
          log,
          logger: this.options.logger,
          metrics: this.metrics,
          onPressure: (full) => this.onPressure(buffer, full),
        });
        buffer.start();
        this.buffers.set(s.store, buffer);
      }
    }
    const old = this.dispatcher;
    if (old) this.metrics.retire();
    this.dispatcher = new Dispatcher(runtime, (i) => this.buffers.get(runtime.schemas[i].store)!, log, this.metrics, this.options.clock);
    old?.close();
    this.runtime = runtime;
  }

  /** The TCP bounds from the current configuration, the cap kept below what the open-file limit allows. */
  private tcpLimits(): () => TcpLimits {
    const fileCap = connectionsAllowedByFileLimit();
    let warned = -1;
    return () => {
      const { tcpIdleTimeoutMs, maxConnections } = this.runtime.config;
      if (fileCap !== null && maxConnections > fileCap && warned !== maxConnections) {
        warned = maxConnections;
        this.options.logger.warn({ MAX_CONNECTIONS: maxConnections, allowed: fileCap }, "MAX_CONNECTIONS is more than the open-file limit (ulimit -n) leaves room for; refusing connections past the lower bound");
      }
      return { idleTimeoutMs: tcpIdleTimeoutMs, maxConnections: fileCap === null ? maxConnections : Math.min(maxConnections, fileCap) };
    };
  }

  /** Count what the TCP receiver refused or closed: refusals by reason, idle closes, HTTP requests as bad lines. */
  private onConnectionEvent(event: ConnectionEvent, partial?: boolean): void {
    const m = this.metrics;
    if (event === "idle") {
      m.connectionsIdleClosed++;
      if (partial) m.bad(IDLE_PARTIAL);
    } else if (event === "http_request") m.bad("http_request");
    else m.connectionsRefused.set(event, (m.connectionsRefused.get(event) ?? 0) + 1);
  }

  private afterChunk(): void {
    for (const b of this.buffers.values()) b.afterChunk();
  }

  private onPressure(buffer: WriteBuffer, full: boolean): void {
    if (full) this.pressured.add(buffer);
    else this.pressured.delete(buffer);
    if (this.pressured.size > 0) {
      this.tcp?.pause();
      this.udp?.pause();
    } else {
      this.tcp?.resume();
      this.udp?.resume();
    }
  }

  /**
   * `/insert`: route one point as a received line would be, then flush, and
   * answer from what the flush reports for its rows (a store may refuse a
   * row staging could not judge: a sum that overflows what it holds).
   */
  async write(stat: string, value: string, timestamp: number): Promise<WriteOutcome> {
    const { staged, rejection } = this.dispatcher.process(stat, value, timestamp);
    if (staged === 0) return { staged, rejection: rejection && { ...rejection, by: "staging" }, stored: true };
    const outcomes = await Promise.all([...this.buffers.values()].map((b) => b.flushed()));
    let refused = null;
    for (const o of outcomes) refused ??= o.refused.find((r) => r.name === stat) ?? null;
    return {
      staged,
      rejection: refused && { reason: refused.reason, message: refused.message, by: "store" },
      stored: outcomes.every((o) => o.ok),
    };
  }

  /** Flush every buffer now; resolves when all are written (or a write failed and will be retried). */
  async flush(): Promise<boolean> {
    const results = await Promise.all([...this.buffers.values()].map((b) => b.flush()));
    return results.every(Boolean);
  }

  /** Points accepted and not yet stored, across stores. */
  get pending(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.points;
    return n;
  }

  /**
   * Stop accepting and flush everything accepted (the stores stay open: they
   * belong to the runtime host). Resolves to the
   * number of points that could not be stored before the deadline (0 = none lost).
   */
  async stop(): Promise<number> {
    await Promise.all([this.tcp?.close(), this.udp?.close(), this.http?.close()]);
    this.tcp = null;
    this.udp = null;
    this.http = null;
    let lost = 0;
    const deadline = this.options.shutdownDeadlineMs ?? 30_000;
    for (const b of this.buffers.values()) lost += await b.close(deadline);
    this.dispatcher?.close();
    return lost;
  }
}
