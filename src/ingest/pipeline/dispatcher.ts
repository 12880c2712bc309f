import type { Runtime } from "../../runtime/runtime.js";
import { TorusError, type PreparedPoint, type SlotHint, type WriteBatch } from "../../timeseries/index.js";
import type { IngestLog } from "./ingest-log.js";
import type { KarbonMetrics } from "../karbon-metrics.js";
import { describeBadInput, type BadInputReason, type PointSink } from "../protocols/index.js";
import { TaggedNames } from "./tagged-names.js";
import type { Route } from "../../routing/router.js";
import { NameTable } from "../protocols/plaintext/name-table.js";
import type { NameIdSink } from "../protocols/plaintext/plaintext-parser.js";

/** Why every schema matching a point refused it. */
export interface DispatchRejection {
  /** The counter label (`bad_value`, `too_far_future`, ...). */
  readonly reason: string;
  readonly message: string;
}

/** What became of one point: writes staged, or why none was. */
export interface DispatchResult {
  readonly staged: number;
  /** Set when schemas matched and every one rejected the value (staged is then 0). */
  readonly rejection: DispatchRejection | null;
}

/** What a name id (see NameTable) routes to, worked out when the id is first seen. */
interface IdRoute {
  /** The name as received. */
  readonly name: string;
  /** The name routed and stored: canonical for a tagged name. */
  readonly stat: string;
  readonly route: Route;
  /** Why the name is no valid tagged name; null when it is fine. */
  readonly refusal: string | null;
  /** Per route step: where its name sits in its first schema's batch part (see `Timeseries.stagePrepared`). */
  readonly hints: SlotHint[];
}

const NO_ROUTE: Route = Object.freeze([]);

/** Where a schema's points go: the write buffer (batch) of its store. */
export interface BatchSource {
  readonly batch: WriteBatch;
}

/**
 * Routes each point through schemas and aggregates (SPEC §4) into the write
 * buffers of their stores. One per loaded configuration; a reload builds a
 * new one. Also the sink every protocol's decoder feeds.
 */
export class Dispatcher implements PointSink<BadInputReason>, NameIdSink {
  readonly runtime: Runtime;
  /** Points staged per schema and rollups emitted per rule, since this dispatcher was built. */
  readonly stored: Float64Array;
  readonly emitted: Float64Array;
  /** Current Unix time in seconds, refreshed by a timer: retention checks need no clock call per point. */
  now: number;
  private readonly buffers: BatchSource[];
  private readonly clock: NodeJS.Timeout;
  private readonly maxFuture: number;
  /** Infinity when there is no bound behind now. */
  private readonly maxPast: number;
  private readonly tagged = new TaggedNames();
  /** DEBUG 2: RECV logs every value, so ids must bring their text. */
  private readonly tracing: boolean;
  /**
   * Per schema, the point as `Timeseries.prepare` made it (or the error it
   * threw) and the line it was made for: `write_func` and the bucket math
   * run once per (line, schema), not once per name the line reaches there.
   */
  private readonly preparedFor: Float64Array;
  private readonly prepared: Array<PreparedPoint | null>;
  private readonly prepareError: unknown[];
  private line = 0;
  /** Names by their bytes, for the plaintext parser, and what each id routes to. */
  readonly names: NameTable;
  private byId: Array<IdRoute | undefined> = [];
  /** Per schema: a value the parser read as a plain decimal may be handed over as that number (default write_func, no transform, no debug log of values). */
  private readonly numeric: boolean[];

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
    this.preparedFor = new Float64Array(runtime.schemas.length);
    this.prepared = runtime.schemas.map(() => null);
    this.prepareError = runtime.schemas.map(() => null);
    this.names = new NameTable({ maxBytes: runtime.config.nameTableBytes });
    this.numeric = runtime.schemas.map((s) => runtime.config.debug === 0 && !s.compiled.transform && s.series.defaultWrite);
    this.maxFuture = runtime.config.maxFuture;
    this.tracing = runtime.config.debug >= 2;
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
    this.route(stat, value, timestamp);
  }

  /** Parser callback: a good line by name id, its value a plain decimal (`num`, the text `buf[vs..ve)`). */
  pointNumber(id: number, num: number, buf: Buffer, vs: number, ve: number, timestamp: number): void {
    this.routeId(this.byId[id] ?? this.compileId(id), undefined, num, buf, vs, ve, timestamp);
  }

  /** Parser callback: a good line by name id, with any other value. */
  pointText(id: number, value: string, timestamp: number): void {
    this.routeId(this.byId[id] ?? this.compileId(id), value, Number.NaN, null, 0, 0, timestamp);
  }

  /**
   * At a flush: if the name table turned names away for want of room, start
   * it afresh (names then take the string path only until they are seen again).
   */
  resetNamesIfFull(): void {
    if (!this.names.full) return;
    this.names.reset();
    this.byId = [];
  }

  private compileId(id: number): IdRoute {
    const name = this.names.names[id];
    let stat = name;
    let refusal: string | null = null;
    if (name.indexOf(";") >= 0 || name.charCodeAt(name.length - 1) === 0x7d) {
      const canonical = this.tagged.canonical(name);
      if (typeof canonical === "string") stat = canonical;
      else refusal = canonical.message;
    }
    const route = refusal === null ? this.runtime.router.route(stat) : NO_ROUTE;
    const entry: IdRoute = { name, stat, route, refusal, hints: route.map(() => ({ hintPart: null, hintSlot: 0 })) };
    this.byId[id] = entry;
    return entry;
  }

  /** `route` for a name known by id: the same steps and answers, from the route worked out for the id. */
  private routeId(entry: IdRoute, value: string | undefined, num: number, buf: Buffer | null, vs: number, ve: number, timestamp: number): void {
    this.metrics.pointsReceived++;
    // The text of a plain decimal (ASCII) is made only where something shows it.
    if (this.tracing) this.log.recv(entry.name, (value ??= buf!.toString("latin1", vs, ve)), timestamp);
    if (entry.refusal !== null) {
      this.badTag(entry.name, (value ??= buf!.toString("latin1", vs, ve)), entry.refusal);
      return;
    }
    if (timestamp > this.now + this.maxFuture || timestamp < this.now - this.maxPast) {
      this.outOfWindow(entry.stat, (value ??= buf!.toString("latin1", vs, ve)), timestamp);
      return;
    }
    this.stageRoute(entry.stat, entry.route, entry.hints, value, num, buf, vs, ve, timestamp);
  }

  /** Decoder callback: one bad line (or pickled point), counted and (DEBUG 2) logged. */
  bad(reason: BadInputReason, excerpt: string): void {
    this.metrics.bad(reason);
    this.log.skip(reason, describeBadInput(reason, excerpt));
  }

  /**
   * Process one point exactly as karbon does, and say what became of it: how
   * many writes it staged, or why every matching schema rejected it (a value
   * every schema rejects counts as a bad line).
   */
  process(stat: string, value: unknown, timestamp: number): DispatchResult {
    const out = this.route(stat, value, timestamp);
    return typeof out === "number" ? { staged: out, rejection: null } : { staged: 0, rejection: out };
  }

  /**
   * The routing itself: the writes staged, or the rejection when every
   * matching schema refused the point. The parser's path (`point`) drops
   * the answer, so a good point allocates nothing for it.
   */
  private route(stat: string, value: unknown, timestamp: number): number | DispatchRejection {
    this.metrics.pointsReceived++;
    this.log.recv(stat, value as string, timestamp);
    // Tagged names are routed and stored in their canonical form (tags sorted). One `;` test for the rest.
    if (stat.indexOf(";") >= 0 || stat.charCodeAt(stat.length - 1) === 0x7d) {
      const canonical = this.tagged.canonical(stat);
      if (typeof canonical !== "string") return this.badTag(stat, value, canonical.message);
      stat = canonical;
    }
    // Outside the window no bucket is worth keeping, and a timestamp near 2^53 would make every later range operation huge.
    if (timestamp > this.now + this.maxFuture || timestamp < this.now - this.maxPast) return this.outOfWindow(stat, value, timestamp);
    return this.stageRoute(stat, this.runtime.router.route(stat), null, value, Number.NaN, null, 0, 0, timestamp);
  }

  /**
   * Stage one point along its route. Without `buf` the value is `value`;
   * with it, the value is the text `buf[vs..ve)` (also `value` once made),
   * and when `num` is not NaN its plain-decimal reading: schemas that take
   * the number get it, the others the text.
   */
  private stageRoute(stat: string, route: Route, hints: SlotHint[] | null, value: unknown, num: number, buf: Buffer | null, vs: number, ve: number, timestamp: number): number | DispatchRejection {
    const schemas = this.runtime.schemas;
    const line = ++this.line;
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
        let v: unknown = buf === null ? value : num === num && this.numeric[i] ? num : (value ??= buf.toString("latin1", vs, ve));
        try {
          const transform = schema.compiled.transform;
          if (transform) {
            // The value may differ per name: prepared each time.
            const out = transform(name, v);
            if (!out || out[0] === null || out[0] === undefined) continue;
            name = String(out[0]);
            v = out[1];
            schema.series.stage(this.buffers[i].batch, name, v, timestamp, schema.compiled.rolling, this.now);
          } else {
            if (this.preparedFor[i] !== line) {
              this.preparedFor[i] = line;
              this.prepared[i] = null;
              try {
                this.prepared[i] = schema.series.prepare(v, timestamp, schema.compiled.rolling, this.now);
                this.prepareError[i] = null;
              } catch (err) {
                this.prepareError[i] = err;
              }
            }
            const prepared = this.prepared[i];
            if (prepared === null) throw this.prepareError[i];
            schema.series.stagePrepared(this.buffers[i].batch, name, prepared, k === 0 && hints !== null ? hints[r] : undefined);
          }
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
    if (rejected !== null && staged === 0) {
      if (buf !== null) value ??= buf.toString("latin1", vs, ve);
      const reason = (rejected instanceof TorusError && rejected.reason) || "bad_value";
      const message = rejected instanceof Error ? rejected.message : String(rejected);
      this.metrics.bad(reason);
      this.log.skip(reason, `${stat} ${String(value)}: ${(rejected as Error)?.message ?? rejected}`);
      return { reason, message };
    }
    return staged;
  }

  private badTag(stat: string, value: unknown, message: string): DispatchRejection {
    this.metrics.bad("bad_tag");
    this.log.skip("bad_tag", `${stat} ${String(value)}: ${message}`);
    return { reason: "bad_tag", message };
  }

  private outOfWindow(stat: string, value: unknown, timestamp: number): DispatchRejection {
    const future = timestamp > this.now;
    const reason = future ? "too_far_future" : "too_far_past";
    const message = future
      ? `timestamp ${timestamp} is more than ${this.maxFuture} seconds ahead of now (${this.now}; MAX_FUTURE)`
      : `timestamp ${timestamp} is more than ${this.maxPast} seconds behind now (${this.now}; MAX_PAST)`;
    this.metrics.bad(reason);
    this.log.skip(reason, `${stat} ${String(value)} ${timestamp}: ${message}`);
    return { reason, message };
  }

  close(): void {
    clearInterval(this.clock);
  }
}
