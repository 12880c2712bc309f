import type { Runtime } from "../../runtime/runtime.js";
import { ErrorCodes, TorusError, type WriteBatch } from "../../timeseries/index.js";
import type { IngestLog } from "./ingest-log.js";
import type { KarbonMetrics } from "../karbon-metrics.js";
import type { BadLineReason, PlaintextSink } from "../protocols/plaintext/plaintext-parser.js";
import { describeBadLine } from "../protocols/plaintext/plaintext-parser.js";

/** Where a schema's points go: the write buffer (batch) of its store. */
export interface BatchSource {
  readonly batch: WriteBatch;
}

/**
 * Routes each point through schemas and aggregates (SPEC §4) into the write
 * buffers of their stores. One per loaded configuration; a reload builds a
 * new one. Also the sink the plaintext parser feeds.
 */
export class Dispatcher implements PlaintextSink {
  readonly runtime: Runtime;
  /** Points staged per schema and rollups emitted per rule, since this dispatcher was built. */
  readonly stored: Float64Array;
  readonly emitted: Float64Array;
  /**
   * Why the last `process` call stored nothing although schemas matched
   * (every one rejected the value), else null. A field rather than a result
   * object: the hot path allocates nothing for it.
   */
  lastRejection: Error | null = null;
  /** The counter label of `lastRejection` (`bad_value`, `too_far_future`, ...), else null. */
  lastReason: string | null = null;
  /** Current Unix time in seconds, refreshed by a timer: retention checks need no clock call per point. */
  now: number;
  private readonly buffers: BatchSource[];
  private readonly clock: NodeJS.Timeout;
  private readonly maxFuture: number;
  /** Infinity when there is no bound behind now. */
  private readonly maxPast: number;

  constructor(
    runtime: Runtime,
    bufferFor: (schemaIndex: number) => BatchSource,
    private readonly log: IngestLog,
    private readonly metrics: KarbonMetrics,
    /** Unix seconds now (tests pin it). */
    clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.runtime = runtime;
    this.buffers = runtime.schemas.map((_, i) => bufferFor(i));
    this.stored = new Float64Array(runtime.schemas.length);
    this.emitted = new Float64Array(runtime.config.aggregates.length);
    this.maxFuture = runtime.config.maxFuture;
    this.maxPast = runtime.config.maxPast ?? Number.POSITIVE_INFINITY;
    this.now = clock();
    this.clock = setInterval(() => (this.now = clock()), 250);
    this.clock.unref();
    metrics.live = {
      stored: () => runtime.schemas.map((s, i) => [s.compiled.name, this.stored[i]] as [string, number]),
      emitted: () => runtime.config.aggregates.map((a, i) => [a.label, this.emitted[i]] as [string, number]),
    };
  }

  /** Parser callback: one good line. */
  point(stat: string, value: string, timestamp: number): void {
    this.process(stat, value, timestamp);
  }

  /** Parser callback: one bad line, counted and (DEBUG 2) logged. */
  bad(reason: BadLineReason, excerpt: string): void {
    this.metrics.bad(reason);
    this.log.skip(reason, describeBadLine(reason, excerpt));
  }

  /**
   * Process one point exactly as karbon does. Returns how many writes it
   * staged; a value every schema rejects counts as a bad line.
   */
  process(stat: string, value: unknown, timestamp: number): number {
    this.metrics.pointsReceived++;
    this.log.recv(stat, value as string, timestamp);
    // Outside the window no bucket is worth keeping, and a timestamp near 2^53 would make every later range operation huge.
    if (timestamp > this.now + this.maxFuture || timestamp < this.now - this.maxPast) return this.outOfWindow(stat, value, timestamp);
    const route = this.runtime.router.route(stat);
    const schemas = this.runtime.schemas;
    let staged = 0;
    let rejected: unknown = null;
    points: for (let r = 0; r < route.length; r++) {
      const step = route[r];
      if (step.schemas.length === 0) {
        this.metrics.dead(step.stat);
        if (step.depth === 0) this.log.skip("dead_letter", step.stat);
        continue;
      }
      if (step.rule >= 0) this.emitted[step.rule]++;
      for (let k = 0; k < step.schemas.length; k++) {
        const i = step.schemas[k];
        const schema = schemas[i];
        let name: string | null = step.stat;
        let v: unknown = value;
        try {
          const transform = schema.compiled.transform;
          if (transform) {
            const out = transform(name, v);
            if (!out || out[0] === null || out[0] === undefined) continue;
            name = String(out[0]);
            v = out[1];
          }
          schema.series.stage(this.buffers[i].batch, name, v, timestamp, schema.compiled.rolling, this.now);
        } catch (err) {
          rejected = err;
          // A stat name no store can hold is bad input as a whole: none of its rollups are made either.
          if (r === 0 && staged === 0 && name === stat && err instanceof TorusError && err.field === "name") break points;
          continue;
        }
        staged++;
        this.stored[i]++;
        if (step.rule < 0) this.log.stor(schema.compiled.name, name, v);
        else this.log.agrt(this.runtime.config.aggregates[step.rule].label, name, v);
      }
    }
    this.lastRejection = null;
    this.lastReason = null;
    if (rejected !== null && staged === 0) {
      const reason = (rejected instanceof TorusError && rejected.reason) || "bad_value";
      this.lastRejection = rejected instanceof Error ? rejected : new Error(String(rejected));
      this.lastReason = reason;
      this.metrics.bad(reason);
      this.log.skip(reason, `${stat} ${String(value)}: ${(rejected as Error)?.message ?? rejected}`);
    }
    return staged;
  }

  private outOfWindow(stat: string, value: unknown, timestamp: number): number {
    const future = timestamp > this.now;
    const reason = future ? "too_far_future" : "too_far_past";
    const message = future
      ? `timestamp ${timestamp} is more than ${this.maxFuture} seconds ahead of now (${this.now}; MAX_FUTURE)`
      : `timestamp ${timestamp} is more than ${this.maxPast} seconds behind now (${this.now}; MAX_PAST)`;
    this.lastRejection = new TorusError(ErrorCodes.BAD_OPTION, message, { field: "timestamp", value: timestamp, reason });
    this.lastReason = reason;
    this.metrics.bad(reason);
    this.log.skip(reason, `${stat} ${String(value)} ${timestamp}: ${message}`);
    return 0;
  }

  close(): void {
    clearInterval(this.clock);
  }
}
