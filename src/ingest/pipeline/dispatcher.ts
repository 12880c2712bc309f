import type { Runtime } from "../../runtime/runtime.js";
import { TorusError, type PreparedPoint, type SlotHint, type WriteBatch } from "../../timeseries/index.js";
import type { IngestLog } from "./ingest-log.js";
import type { KarbonMetrics } from "../karbon-metrics.js";
import { describeBadInput, type BadInputReason, type PointSink } from "../protocols/index.js";
import { TaggedNames } from "./tagged-names.js";
import type { RouteShape } from "../../routing/router.js";
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

/** The shape of an id whose name is no valid tagged name (its refusal is in `Dispatcher.refusals`). */
const REFUSED: RouteShape = Object.freeze({ schemas: Object.freeze([]), rollups: Object.freeze([]), hints: Object.freeze([]) });

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
  /*
   * What each name id routes to, worked out when the id is first seen, kept
   * in columns rather than an object per id: the route's shape (shared by
   * names that route alike), the name routed and stored (canonical for a
   * tagged name), and where the name sits in its first schema's batch part.
   */
  private shapeOf: Array<RouteShape | undefined> = [];
  private statOf: string[] = [];
  private hintPart = new Float64Array(1024);
  private hintSlot = new Int32Array(1024);
  /** Why an id's name is no valid tagged name (its shape is REFUSED). */
  private refusals = new Map<number, string>();
  /** Lends one id's hint to `stagePrepared`, which updates it in place. */
  private readonly hint: SlotHint = { hintPart: 0, hintSlot: 0 };
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
    this.routeId(id, this.shapeOf[id] ?? this.compileId(id), undefined, num, buf, vs, ve, timestamp);
  }

  /** Parser callback: a good line by name id, with any other value. */
  pointText(id: number, value: string, timestamp: number): void {
    this.routeId(id, this.shapeOf[id] ?? this.compileId(id), value, Number.NaN, null, 0, 0, timestamp);
  }

  /**
   * At a flush: if the name table turned names away for want of room, start
   * it afresh (names then take the string path only until they are seen again).
   */
  resetNamesIfFull(): void {
    if (!this.names.full) return;
    this.names.reset();
    this.shapeOf = [];
    this.statOf = [];
    // The hint columns keep their size (each id's hint is cleared when it is compiled again).
    this.refusals = new Map();
  }

  private compileId(id: number): RouteShape {
    const name = this.names.names[id];
    let stat = name;
    let shape: RouteShape | null = null;
    if (name.indexOf(";") >= 0 || name.charCodeAt(name.length - 1) === 0x7d) {
      const canonical = this.tagged.canonical(name);
      if (typeof canonical === "string") stat = canonical;
      else {
        this.refusals.set(id, canonical.message);
        shape = REFUSED;
      }
    }
    // The name table's names are decoded strings of their own: the router's memo may key on them as they are.
    shape ??= this.runtime.router.shape(stat, stat === name);
    if (id >= this.hintSlot.length) {
      const size = Math.max(2 * this.hintSlot.length, id + 1);
      const slots = new Int32Array(size);
      slots.set(this.hintSlot);
      this.hintSlot = slots;
      const parts = new Float64Array(size);
      parts.set(this.hintPart);
      this.hintPart = parts;
    }
    // Filled in id order (ids are handed out densely), so the arrays stay packed.
    this.shapeOf[id] = shape;
    this.statOf[id] = stat;
    this.hintPart[id] = 0;
    return shape;
  }

  /** `route` for a name known by id: the same steps and answers, from the route worked out for the id. */
  private routeId(id: number, shape: RouteShape, value: string | undefined, num: number, buf: Buffer | null, vs: number, ve: number, timestamp: number): void {
    this.metrics.pointsReceived++;
    // The text of a plain decimal (ASCII) is made only where something shows it.
    if (this.tracing) this.log.recv(this.names.names[id], (value ??= buf!.toString("latin1", vs, ve)), timestamp);
    if (shape === REFUSED) {
      this.badTag(this.names.names[id], (value ??= buf!.toString("latin1", vs, ve)), this.refusals.get(id)!);
      return;
    }
    const stat = this.statOf[id];
    if (timestamp > this.now + this.maxFuture || timestamp < this.now - this.maxPast) {
      this.outOfWindow(stat, (value ??= buf!.toString("latin1", vs, ve)), timestamp);
      return;
    }
    this.stageRoute(stat, shape, id, value, num, buf, vs, ve, timestamp);
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
    return this.stageRoute(stat, this.runtime.router.shape(stat), -1, value, Number.NaN, null, 0, 0, timestamp);
  }

  /**
   * Stage one point along its route. Without `buf` the value is `value`;
   * with it, the value is the text `buf[vs..ve)` (also `value` once made),
   * and when `num` is not NaN its plain-decimal reading: schemas that take
   * the number get it, the others the text. `id` (-1 for none) is the
   * name id whose slot hint step 0 uses.
   */
  private stageRoute(stat: string, shape: RouteShape, id: number, value: unknown, num: number, buf: Buffer | null, vs: number, ve: number, timestamp: number): number | DispatchRejection {
    const schemas = this.runtime.schemas;
    const line = ++this.line;
    let staged = 0;
    let rejected: unknown = null;
    const steps = 1 + shape.rollups.length;
    points: for (let r = 0; r < steps; r++) {
      // Step 0 is the stat itself; the rest are the shape's (shared) rollups.
      const step = r === 0 ? null : shape.rollups[r - 1];
      const stepStat = step === null ? stat : step.stat;
      const stepSchemas = step === null ? shape.schemas : step.schemas;
      const rule = step === null ? -1 : step.rule;
      if (stepSchemas.length === 0) {
        this.metrics.dead(stepStat);
        if (step === null) this.log.skip("dead_letter", stepStat);
        continue;
      }
      if (rule >= 0) this.emitted[rule]++;
      for (let k = 0; k < stepSchemas.length; k++) {
        const i = stepSchemas[k];
        const schema = schemas[i];
        let name: string | null = stepStat;
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
            if (k !== 0) schema.series.stagePrepared(this.buffers[i].batch, name, prepared);
            else if (r > 0) schema.series.stagePrepared(this.buffers[i].batch, name, prepared, shape.hints[r - 1]);
            else if (id >= 0) {
              const hint = this.hint;
              hint.hintPart = this.hintPart[id];
              hint.hintSlot = this.hintSlot[id];
              schema.series.stagePrepared(this.buffers[i].batch, name, prepared, hint);
              this.hintPart[id] = hint.hintPart;
              this.hintSlot[id] = hint.hintSlot;
            } else schema.series.stagePrepared(this.buffers[i].batch, name, prepared);
          }
        } catch (err) {
          rejected = err;
          // A stat name no store can hold is bad input as a whole: none of its rollups are made either.
          if (r === 0 && staged === 0 && name === stat && err instanceof TorusError && err.field === "name") break points;
          continue;
        }
        staged++;
        this.stored[i]++;
        if (rule < 0) this.log.stor(schema.compiled.name, name, v);
        else this.log.agrt(this.runtime.config.aggregates[rule].label, name, v);
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
