import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import type { Logger } from "../logging/logger.js";
import type { WritePath, WriteOutcome } from "../runtime/write-path.js";
import type { Runtime, RuntimeSource } from "../runtime/runtime.js";
import type { Store } from "../timeseries/index.js";
import { Dispatcher } from "./pipeline/dispatcher.js";
import { createIngestLog } from "./pipeline/ingest-log.js";
import { KarbonMetrics } from "./karbon-metrics.js";
import { buildMetricsApp, listenMetrics, localMetrics } from "./metrics-server.js";
import type { BadInputReason, PointSink } from "./protocols/index.js";
import type { NameTable } from "./protocols/plaintext/name-table.js";
import type { NameIdSink } from "./protocols/plaintext/plaintext-parser.js";
import { checkListeners, createReceiver, type ListenerSpec, type Receiver } from "./receivers/listener.js";
import { connectionsAllowedByFileLimit, IDLE_PARTIAL, type ConnectionEvent, type TcpLimits } from "./receivers/tcp-receiver.js";
import { WriteBuffer } from "./pipeline/write-buffer.js";
import { openStoreSpool } from "./spool/open-spool.js";
import type { StoreSpool } from "./spool/store-spool.js";

export interface KarbonOptions {
  /** The runtime to ingest into, and news of each reload (the runtime host; karbon reads no files). */
  runtime: RuntimeSource;
  /** What to listen on: a protocol on a transport at an address each (see `carbonListeners` for `--tcp`/`--udp`). */
  listeners?: readonly ListenerSpec[];
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
  /** Keep batches of a down store in `SPOOL_DIR` when the configuration sets one (the karbon command; not tools that route without serving). */
  spool?: boolean;
}

/** Where karbon listens: each listener by its name, and the self-metrics port. */
export interface KarbonAddresses {
  [listener: string]: AddressInfo | null;
  metrics: AddressInfo | null;
}

/** The Carbon plaintext ports the listening line always names, null when off (scripts read them). */
const ALWAYS_NAMED = ["tcp", "udp"] as const;

/**
 * The ingest server: receivers → dispatcher (routing) → per-store write
 * buffers → stores. It ingests into the runtime its source gives, rebuilds
 * its dispatcher when the source installs a new one (a reload), and owns a
 * clean shutdown (flush what was accepted). Also the write path of
 * `/insert` ({@link WritePath}).
 */
export class Karbon implements WritePath {
  readonly metrics = new KarbonMetrics();
  private runtime!: Runtime;
  private dispatcher!: Dispatcher;
  private readonly buffers = new Map<Store, WriteBuffer>();
  private readonly spools: StoreSpool[] = [];
  private receivers: Receiver[] = [];
  private http: FastifyInstance | null = null;
  private readonly pressured = new Set<WriteBuffer>();
  /**
   * Forwards parser callbacks to the current dispatcher, so a reload swaps it
   * under open connections. Names by id go through the dispatcher's own name
   * table (read per line), so an id always means what the dispatcher it
   * reaches gave it.
   */
  readonly sink: PointSink<BadInputReason> & NameIdSink = ((karbon: Karbon) => ({
    point: (stat: string, value: string, ts: number) => karbon.dispatcher.point(stat, value, ts),
    bad: (reason: BadInputReason, excerpt: string) => karbon.dispatcher.bad(reason, excerpt),
    get names(): NameTable {
      return karbon.dispatcher.names;
    },
    pointNumber: (id: number, num: number, buf: Buffer, vs: number, ve: number, ts: number) => karbon.dispatcher.pointNumber(id, num, buf, vs, ve, ts),
    pointText: (id: number, value: string, ts: number) => karbon.dispatcher.pointText(id, value, ts),
  }))(this);

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
    const listeners = this.options.listeners ?? [];
    checkListeners(listeners);
    const out: KarbonAddresses = { metrics: null };
    for (const name of ALWAYS_NAMED) out[name] = null;
    try {
      const tcpLimits = this.tcpLimits();
      if (listeners.some((l) => l.transport === "tcp")) tcpLimits(); // warns now, not at the first connection, if the open-file limit lowers the cap
      const context = {
        sink: this.sink,
        limits: () => this.runtime.config,
        onChunk: () => this.afterChunk(),
        logger,
        tcpLimits,
        onConnectionEvent: (event: ConnectionEvent, partial?: boolean) => this.onConnectionEvent(event, partial),
        onInputRefused: (reason: string) => this.metrics.bad(reason),
        dropped: () => this.metrics.bad("udp_dropped"),
      };
      this.metrics.openConnections = () => this.receivers.reduce((n, r) => n + r.connections, 0);
      for (const spec of listeners) {
        const receiver = createReceiver(spec, context);
        this.receivers.push(receiver);
        out[spec.name] = await receiver.listen(spec.address.host, spec.address.port);
      }
      if (this.options.metrics) {
        this.http = buildMetricsApp(localMetrics(this.metrics), config.http);
        out.metrics = await listenMetrics(this.http, this.options.metrics.host, this.options.metrics.port);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    const { metrics, ...listening } = out;
    const fields = { ...listening, metrics, schemas: config.schemas.length, flushInterval: config.flushInterval };
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
        // The spool directory is read when a store is first seen: moving it takes a restart.
        const spool = this.options.spool && config.spoolDir ? openStoreSpool(config.spoolDir, s.store.url, config.spoolMaxBytes, this.options.logger) : undefined;
        if (spool) {
          this.spools.push(spool);
          this.metrics.watchSpool(s.store.url, () => spool.stats);
        }
        const buffer = new WriteBuffer(s.store, {
          spool,
          spoolAfterMs: config.spoolAfterMs,
          flushInterval: config.flushInterval,
          maxRows: config.bufferMaxRows,
          log,
          logger: this.options.logger,
          metrics: this.metrics,
          onPressure: (full) => this.onPressure(buffer, full),
          // A flush boundary: the one moment the name table may start afresh.
          onFlush: () => this.dispatcher.resetNamesIfFull(),
        });
        buffer.start();
        this.buffers.set(s.store, buffer);
        const relay = s.store.relayStats?.bind(s.store);
        if (relay) this.metrics.watchRelay(s.store.url, relay);
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

  /** Count what a TCP receiver refused or closed: refusals by reason, idle closes. (Input a decoder refused counts as a bad line.) */
  private onConnectionEvent(event: ConnectionEvent, partial?: boolean): void {
    const m = this.metrics;
    if (event === "idle") {
      m.connectionsIdleClosed++;
      if (partial) m.bad(IDLE_PARTIAL);
    } else m.connectionsRefused.set(event, (m.connectionsRefused.get(event) ?? 0) + 1);
  }

  private afterChunk(): void {
    for (const b of this.buffers.values()) b.afterChunk();
  }

  private onPressure(buffer: WriteBuffer, full: boolean): void {
    if (full) this.pressured.add(buffer);
    else this.pressured.delete(buffer);
    if (this.pressured.size > 0) for (const r of this.receivers) r.pause();
    else for (const r of this.receivers) r.resume();
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
    const drainMs = this.runtime?.config.tcpDrainTimeoutMs ?? 0;
    await Promise.all([...this.receivers.map((r) => r.close(drainMs)), this.http?.close()]);
    this.receivers = [];
    this.http = null;
    let lost = 0;
    const deadline = this.options.shutdownDeadlineMs ?? 30_000;
    for (const b of this.buffers.values()) lost += await b.close(deadline);
    for (const s of this.spools.splice(0)) s.close();
    this.dispatcher?.close();
    return lost;
  }
}
