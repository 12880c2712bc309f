import { ErrorCodes, TorusError, quote } from "./errors.js";
import { Interval, type IntervalSpec } from "./intervals.js";
import { MAX_MEMBER_BYTES, MAX_NAME_BYTES, MAX_VALUE_BYTES, textProblem } from "./limits.js";
import type { Namespace, Properties, Row, Store, TypeName } from "./store.js";
import { WriteBatch, type BatchPart } from "./write-batch.js";
import { compileTransform, type TransformFn, type TransformOption } from "./transforms.js";
import { typeDef, type TypeDef } from "./types/index.js";
import type { Decode } from "./types/type-def.js";
import { long_or_float, memberKey, readLongOrFloat, toWritten, type ReadFunc, type WriteFunc, type Written } from "./values.js";

export interface TimeseriesOptions {
  /** `count` (default), `histogram`, `series`, `gauge` or `set`. */
  type?: TypeName | string;
  intervals: Record<string, IntervalSpec>;
  /** Scopes tables/keys so several schemas can share a store. */
  prefix?: string;
  /** Applied to every value read back; default: integer if it looks like one, else float, else the text. */
  read_func?: ReadFunc | null;
  /** Applied to every value written; default `long_or_float`. Throwing rejects the value. */
  write_func?: WriteFunc | null;
  /** Current Unix time in seconds (tests pin it). */
  clock?: () => number;
  /** Name used in error messages (the schema's name). */
  label?: string;
}

/** What a custom `fetch` is told: enough to find the bucket in the store's own client. */
export interface FetchKey {
  namespace: Namespace;
  name: string;
  interval: string;
  bucket: number;
}

export interface ReadOptions {
  transform?: TransformOption | null;
  /** Fold sub-buckets into their bucket: `true` joins them by type, a function gets `Map<sub, data>`. */
  condense?: boolean | ((subs: Map<number, any>) => any) | null;
  /** Replaces the store read of each bucket; gets the driver's client and the bucket's key. */
  fetch?: ((handle: unknown, key: FetchKey) => unknown) | null;
  /** Applied to each row (bucket or sub-bucket) as read, before condensing and joining. */
  process_row?: ((data: any) => any) | null;
  /** Joins one bucket's data across several names (default: the type's join). */
  join_rows?: ((rows: any[]) => any) | null;
}

export interface SeriesOptions extends ReadOptions {
  start?: number | Date | null;
  end?: number | Date | null;
  steps?: number | null;
  /** Fold the whole range into one entry keyed by the first bucket. */
  collapse?: boolean | ((buckets: Map<number, any>) => any) | null;
}

export interface GetOptions extends ReadOptions {
  timestamp?: number | Date | null;
}

export interface InsertOptions {
  /** Also write into this many intervals after (>0) or before (<0) the point's own. */
  intervals?: number;
}

/** A point made ready for one schema by `Timeseries.prepare`, to be staged under one or more names. */
export interface PreparedPoint {
  /** What `write_func` made of the value: a number for counts, text for every other type. */
  written: Written;
  /** The value as received (for messages). */
  value: unknown;
  /** The timestamp, whole seconds. */
  t: number;
  rolling: number;
  /** The `now` retention was judged at. */
  now: number;
  /** Per interval, `1 + |rolling|` sub-bucket starts; NaN where the bucket is past retention. */
  subs: number[];
}

/** Bucket start → data; `null` where nothing was stored. */
export type SeriesResult = Map<number, any>;

/** Timestamps whose sub-buckets `prepare` keeps: 2^this. */
const SUBS_WAYS_BITS = 4;

/** Counts at least this large are checked for overflow before they merge (see `checkSums`). */
const HUGE = 1e291;

function seconds(t: number | Date | null | undefined, field: string): number | null {
  if (t === undefined || t === null) return null;
  const s = t instanceof Date ? t.getTime() / 1000 : t;
  if (typeof s !== "number" || !Number.isFinite(s)) {
    throw new TorusError(ErrorCodes.BAD_OPTION, `${field}: expected a Unix timestamp, got ${quote(t)}`, { field, value: t });
  }
  return Math.floor(s);
}

function rollingOf(n: number | undefined): number {
  if (n === undefined || n === null) return 0;
  if (!Number.isInteger(n)) throw new TorusError(ErrorCodes.BAD_OPTION, `intervals (rolling): expected a whole number, got ${quote(n)}`, { field: "rolling", value: n });
  return n;
}

/**
 * One schema's view of a store: a type, its intervals, and the kairos API
 * over them. Writes are staged into a WriteBatch (merged in memory) and
 * applied by the store in one transaction; reads go store rows → natives →
 * process_row → condense → join names → collapse → transform.
 */
/** A caller's memory of where one name sits in this schema's part (see `stagePrepared`). */
export interface SlotHint {
  /** The part's `serial` (0: none yet): a number, so that a hint held long keeps no part alive. */
  hintPart: number;
  hintSlot: number;
}

export class Timeseries {
  readonly store: Store;
  readonly type: TypeDef;
  readonly ns: Namespace;
  readonly intervals: readonly Interval[];
  readonly label: string;
  private readonly byName = new Map<string, Interval>();
  private readonly writeFunc: WriteFunc;
  /** Stored text (or a count's number) → the value users see: `read_func`, or the default conversion. */
  readonly decodeValue: Decode;
  private readonly clock: () => number;
  private readonly isCount: boolean;
  private readonly isHistogram: boolean;
  /** The part this schema last started, to size the next (see `newPart`); not kept alive for that. */
  private lastPart: WeakRef<BatchPart> | undefined = undefined;
  /** Reused by every `prepare`: the ingest path makes no object per point. */
  private readonly prepared: PreparedPoint = { written: 0, value: undefined, t: Number.NaN, rolling: 0, now: Number.NaN, subs: [] };
  /** The sub-buckets of recent timestamps (see `prepare`), direct-mapped by timestamp. */
  private readonly subsMemo = {
    t: new Float64Array(1 << SUBS_WAYS_BITS).fill(Number.NaN),
    rolling: new Float64Array(1 << SUBS_WAYS_BITS),
    now: new Float64Array(1 << SUBS_WAYS_BITS),
    subs: new Array<number[] | undefined>(1 << SUBS_WAYS_BITS).fill(undefined),
  };

  constructor(store: Store, options: TimeseriesOptions) {
    this.label = options.label ?? "timeseries";
    const field = (f: string) => (options.label ? `schema ${quote(options.label)}: ${f}` : f);
    this.type = typeDef(options.type ?? "count", field("type"));
    const prefix = options.prefix ?? "";
    if (typeof prefix !== "string") throw new TorusError(ErrorCodes.BAD_OPTION, `${field("prefix")}: expected text, got ${quote(prefix)}`, { field: "prefix", value: prefix });
    this.ns = { prefix, type: this.type.name };
    this.isCount = this.type.name === "count";
    this.isHistogram = this.type.name === "histogram";
    if (!options.intervals || typeof options.intervals !== "object" || Object.keys(options.intervals).length === 0) {
      throw new TorusError(ErrorCodes.BAD_INTERVAL, `${field("intervals")}: at least one interval is required`, { field: "intervals", value: options.intervals });
    }
    this.intervals = Object.entries(options.intervals).map(([name, spec]) => new Interval(name, spec, field(`interval ${quote(name)}`)));
    for (const iv of this.intervals) this.byName.set(iv.name, iv);
    this.store = store;
    this.writeFunc = options.write_func ?? long_or_float;
    const readFunc = options.read_func;
    this.decodeValue = readFunc ? (v) => readFunc(typeof v === "string" ? v : String(v)) : readLongOrFloat;
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  }

  /** True when values are converted by the default `long_or_float`: a number it is handed is stored as it is. */
  get defaultWrite(): boolean {
    return this.writeFunc === long_or_float;
  }

  /** The named interval, or a typed error listing the ones configured. */
  interval(name: string): Interval {
    const iv = this.byName.get(name);
    if (iv) return iv;
    throw new TorusError(
      ErrorCodes.UNKNOWN_INTERVAL,
      `${this.label}: unknown interval ${quote(name)} (have ${this.intervals.map((i) => i.name).join(", ")})`,
      { field: "interval", value: name },
    );
  }

  // ---- writes -------------------------------------------------------------

  /**
   * Merge one point into `batch` without touching the store: the ingest
   * path's entry. Throws (leaving the batch untouched) if `write_func`
   * rejects the value. Buckets already past retention are skipped.
   */
  stage(batch: WriteBatch, name: string, value: unknown, timestamp: number, rolling = 0, now = this.clock()): void {
    this.stagePrepared(batch, name, this.prepare(value, timestamp, rolling, now));
  }

  /**
   * The part of staging that depends on the point and not on the name:
   * `write_func`, the value checks and the sub-buckets it lands in. Done
   * once when a point reaches this schema under several names (a stat and
   * its rollups), then {@link stagePrepared} once per name. Returns an
   * object this timeseries reuses: good until the next `prepare` or `stage`.
   * Throws as `stage` does for a value it refuses.
   */
  prepare(value: unknown, timestamp: number, rolling = 0, now = this.clock()): PreparedPoint {
    const written = toWritten(this.writeFunc, value);
    const type = this.type;
    const p = this.prepared;
    if (type.name === "count") {
      const n = typeof written === "number" ? written : Number(written);
      if (!Number.isFinite(n)) {
        throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} is not a number`, { field: "value", value });
      }
      p.written = n;
    } else {
      if (typeof written === "string") this.checkText(written, type.name === "histogram" || type.name === "set" ? MAX_MEMBER_BYTES : MAX_VALUE_BYTES, "value", value);
      // Every other type keeps its members as text: convert once, not once per name.
      p.written = memberKey(written);
    }
    const t = Math.floor(timestamp);
    p.value = value;
    // Senders stamp a whole flush's lines alike: the sub-buckets of the last timestamp are usually this one's.
    if (t === p.t && rolling === p.rolling && now === p.now && p.subs.length > 0) return p;
    // Known only once its sub-buckets are all worked out: a throw below leaves nothing to match.
    p.t = Number.NaN;
    // Several senders at once (a backfill in parallel, relays behind) interleave a few timestamps: keep each one's
    // sub-buckets, as calendar math (a monthly step, a daily resolution) costs more than the rest of staging.
    const way = Math.imul(t, 0x9e3779b1) >>> (32 - SUBS_WAYS_BITS);
    const memo = this.subsMemo;
    if (memo.t[way] === t && memo.rolling[way] === rolling && memo.now[way] === now) {
      p.subs = memo.subs[way]!;
      return this.stamp(p, t, rolling, now);
    }
    const per = 1 + Math.abs(rolling);
    let subs = memo.subs[way];
    if (subs === undefined || subs.length !== this.intervals.length * per) subs = memo.subs[way] = new Array<number>(this.intervals.length * per);
    // Unknown until the sub-buckets are all worked out (a throw leaves the way empty).
    memo.t[way] = Number.NaN;
    p.subs = subs;
    for (let i = 0; i < this.intervals.length; i++) {
      const iv = this.intervals[i];
      const base = i * per;
      subs[base] = iv.steps === null || iv.bucketOf(t) >= iv.step.start(iv.firstLiveIndex(now)) ? iv.subOf(t) : Number.NaN;
      if (rolling === 0) continue;
      const live = iv.firstLiveIndex(now);
      const dir = rolling > 0 ? 1 : -1;
      for (let r = 1; r <= Math.abs(rolling); r++) {
        const rt = iv.shift(t, dir * r);
        subs[base + r] = iv.step.index(rt) >= live ? iv.subOf(rt) : Number.NaN;
      }
    }
    memo.t[way] = t;
    memo.rolling[way] = rolling;
    memo.now[way] = now;
    return this.stamp(p, t, rolling, now);
  }

  private stamp(p: PreparedPoint, t: number, rolling: number, now: number): PreparedPoint {
    p.t = t;
    p.rolling = rolling;
    p.now = now;
    return p;
  }

  /**
   * Merge a point made ready by {@link prepare} into `batch` under `name`.
   * Throws (batch untouched) for a name no store can hold. `hint`, kept by
   * the caller for this one name, remembers the name's slot in the batch.
   */
  stagePrepared(batch: WriteBatch, name: string, p: PreparedPoint, hint?: SlotHint): void {
    const written = p.written;
    const had = batch.parts.get(this);
    let slot = had === undefined ? undefined : hint !== undefined && hint.hintPart === had.serial ? hint.hintSlot : had.slotOf(name);
    // Names are checked once per batch, when first staged: not on every point. A refused one leaves the batch as it was.
    if (slot === undefined) this.checkText(name, MAX_NAME_BYTES, "name", name);
    const part = had ?? this.newPart(batch);
    if (slot === undefined) slot = part.slot(name);
    else if (this.isCount && Math.abs(written as number) >= HUGE) {
      this.checkSums(part, slot, written as number, p.t, p.rolling, p.value);
    }
    if (hint !== undefined) {
      hint.hintPart = part.serial;
      hint.hintSlot = slot;
    }
    const per = 1 + Math.abs(p.rolling);
    const subs = p.subs;
    // A histogram member occurs once per point; a gauge's cell keeps the newest timestamp.
    const b = this.isHistogram ? 1 : p.t;
    let added = 0;
    for (let i = 0; i < this.intervals.length; i++) {
      for (let r = 0; r < per; r++) {
        const sub = subs[i * per + r];
        if (sub === sub) added += part.add(slot, i, sub, written, b); // NaN: past retention
      }
    }
    batch.size += added;
    batch.points++;
  }

  /** This schema's part of a batch it has not staged into yet, sized like the previous one (flushes of a stream are alike). */
  private newPart(batch: WriteBatch): BatchPart {
    const expect = this.lastPart?.deref()?.held;
    const part = batch.part(this, this.ns, this.intervals, expect);
    this.lastPart = new WeakRef(part);
    return part;
  }

  /** Refuse text no store can hold (see limits.ts), with the reason ingest counts it under. */
  private checkText(text: string, maxBytes: number, field: "name" | "value", shown: unknown): void {
    const problem = textProblem(text, maxBytes);
    if (problem === null) return;
    const what = field === "name" ? "stat name" : `${this.type.name} value`;
    const message =
      problem === "nul_byte"
        ? `${what} ${quote(shown)} holds a NUL character, which not every store can hold`
        : `${what} ${quote(shown)} is longer than the ${maxBytes} UTF-8 bytes every store can hold`;
    throw new TorusError(field === "name" ? ErrorCodes.BAD_OPTION : ErrorCodes.BAD_VALUE, message, {
      field,
      value: shown,
      reason: problem === "nul_byte" ? "nul_byte" : `${field}_too_long`,
    });
  }

  /**
   * A count this large may push a cell already in the batch past the largest
   * double: check every cell it would reach before merging into any, so a
   * refused point leaves the batch as it was. Smaller values cannot overflow
   * a finite sum (they are under half a unit in the last place of the largest double).
   */
  private checkSums(part: BatchPart, slot: number, n: number, t: number, rolling: number, value: unknown): void {
    for (let i = 0; i < this.intervals.length; i++) {
      const iv = this.intervals[i];
      const check = (at: number) => {
        const c = part.find(slot, i, iv.subOf(at));
        if (c === -1) return;
        const prev = part.cellNum[c];
        if (!Number.isFinite(prev + n)) {
          throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} would make the total of its bucket overflow (${quote(prev)} + ${quote(n)} is not a finite number)`, {
            field: "value",
            value,
            reason: "not_finite",
          });
        }
      };
      check(t);
      for (let r = 1; r <= Math.abs(rolling); r++) check(iv.shift(t, (rolling > 0 ? 1 : -1) * r));
    }
  }

  /** Write one point now (count values default to 1). */
  async insert(name: string, value?: unknown, timestamp?: number | Date | null, options: InsertOptions = {}): Promise<void> {
    const batch = new WriteBatch();
    const now = this.clock();
    this.stage(batch, this.checkName(name), value === undefined && this.type.name === "count" ? 1 : value, seconds(timestamp, "timestamp") ?? now, rollingOf(options.intervals), now);
    await this.store.write(batch);
  }

  /**
   * Write many points in one transaction: `{timestamp: {name: [values]}}`.
   * Every value is checked before anything is written.
   */
  async bulk_insert(inserts: Record<string | number, Record<string, readonly unknown[]>>, options: InsertOptions = {}): Promise<void> {
    const batch = new WriteBatch();
    const now = this.clock();
    const rolling = rollingOf(options.intervals);
    for (const [ts, byName] of Object.entries(inserts)) {
      const t = seconds(Number(ts), "timestamp") as number;
      for (const [name, values] of Object.entries(byName)) {
        this.checkName(name);
        for (const v of values) this.stage(batch, name, v, t, rolling, now);
      }
    }
    if (!batch.empty) await this.store.write(batch);
  }

  private checkName(name: unknown): string {
    if (typeof name !== "string" || name.length === 0) {
      throw new TorusError(ErrorCodes.BAD_OPTION, `stat name must be non-empty text, got ${quote(name)}`, { field: "name", value: name });
    }
    return name;
  }

  // ---- reads --------------------------------------------------------------

  /** One bucket (the one holding `timestamp`, default now). */
  async get(name: string | readonly string[], interval: string, options: GetOptions = {}): Promise<any> {
    const iv = this.interval(interval);
    const t = seconds(options.timestamp, "timestamp") ?? this.clock();
    const result = await this.read(name, iv, [iv.bucketOf(t)], options, false);
    return result.values().next().value ?? null;
  }

  /** A run of buckets by kairos's range rules; every bucket in range is present. */
  async series(name: string | readonly string[], interval: string, options: SeriesOptions = {}): Promise<SeriesResult> {
    const iv = this.interval(interval);
    const steps = options.steps;
    if (steps !== undefined && steps !== null && !(Number.isInteger(steps) && steps > 0)) {
      throw new TorusError(ErrorCodes.BAD_STEPS, `steps must be a positive whole number, got ${quote(steps)}`, { field: "steps", value: steps });
    }
    const buckets = iv.range(
      { start: seconds(options.start, "start"), end: seconds(options.end, "end"), steps },
      this.clock(),
    );
    return this.read(name, iv, buckets, options, options.collapse ?? false);
  }

  /** Every bucket from the first to the last stored one, oldest first. */
  async *iterate(name: string, interval: string, options: ReadOptions & { pageSize?: number } = {}): AsyncGenerator<[number, any]> {
    const iv = this.interval(interval);
    const props = (await this.properties(name))[interval];
    if (!props) return;
    const page = options.pageSize ?? 1000;
    let i = iv.step.index(props.first);
    const lastIndex = iv.step.index(props.last);
    while (i <= lastIndex) {
      const buckets: number[] = [];
      for (let j = i; j <= lastIndex && buckets.length < page; j++) buckets.push(iv.step.start(j));
      i += buckets.length;
      for (const entry of await this.read(name, iv, buckets, options, false)) yield entry;
    }
  }

  async list(): Promise<string[]> {
    return this.store.list(this.ns);
  }

  /** `{interval: {first, last}}` for this schema's intervals that hold data. */
  async properties(name: string): Promise<Properties> {
    const all = await this.store.properties(this.ns, name);
    const out: Properties = {};
    for (const iv of this.intervals) if (all[iv.name]) out[iv.name] = all[iv.name];
    return out;
  }

  async delete(name: string): Promise<void> {
    await this.store.delete(this.ns, name);
  }

  async delete_all(): Promise<void> {
    await this.store.deleteAll(this.ns);
  }

  /** Drop buckets past each interval's `steps` retention, for one name or all. */
  async expire(name?: string): Promise<void> {
    const now = this.clock();
    for (const iv of this.intervals) {
      if (iv.steps === null) continue;
      await this.store.expire(this.ns, iv.name, iv.step.start(iv.firstLiveIndex(now)), name);
    }
  }

  // ---- the read pipeline --------------------------------------------------

  private async read(
    name: string | readonly string[],
    iv: Interval,
    buckets: readonly number[],
    options: ReadOptions,
    collapse: SeriesOptions["collapse"],
  ): Promise<SeriesResult> {
    const names = typeof name === "string" ? [name] : [...name];
    if (names.length === 0) throw new TorusError(ErrorCodes.BAD_OPTION, "at least one stat name is required", { field: "name", value: name });
    const type = this.type;
    const transform: TransformFn | null = options.transform ? compileTransform(type, options.transform) : null;
    const fetched = typeof options.fetch === "function";
    const subs = iv.resolution !== null && !fetched;
    const condense = subs && (Boolean(options.condense) || Boolean(collapse));
    // The dashboard case — one stat, no sub-buckets, nothing custom — goes straight from rows to buckets.
    if (names.length === 1 && !subs && !fetched && !collapse && !options.process_row) return this.readPlain(names[0], iv, buckets, transform);
    const perName = fetched ? await this.fetchRows(names, iv, buckets, options.fetch!) : await this.loadRows(names, iv, buckets);
    const processRow = options.process_row ?? null;
    const condenseFn = typeof options.condense === "function" ? options.condense : null;
    const joinRows = options.join_rows ?? null;

    const out: SeriesResult = new Map();
    for (const bucket of buckets) {
      // Each name's data for this bucket: Map<sub, data> (uncondensed) or data.
      const rows: any[] = [];
      for (const byBucket of perName) {
        const subMap = byBucket.get(bucket);
        if (!subMap) continue;
        if (processRow) for (const [s, d] of subMap) subMap.set(s, processRow(d));
        if (!subs) rows.push(subMap.get(bucket) ?? subMap.values().next().value);
        else if (condense) rows.push(condenseFn ? condenseFn(subMap) : this.fold([...subMap.values()]));
        else rows.push(subMap);
      }
      const live = rows.filter((r) => r !== null && r !== undefined);
      let data: any;
      if (live.length === 0) data = null;
      else if (names.length === 1) data = live[0];
      else if (subs && !condense) data = this.joinSubs(live, joinRows);
      else data = joinRows ? joinRows(live) : this.fold(live);
      out.set(bucket, data ?? null);
    }

    let result = out;
    let duration = (b: number) => iv.durationOf(b);
    if (collapse) {
      const present = new Map([...out].filter(([, d]) => d !== null));
      const folded = present.size === 0 ? null : typeof collapse === "function" ? collapse(present) : this.fold([...present.values()]);
      const total = buckets.reduce((s, b) => s + iv.durationOf(b), 0);
      result = new Map([[buckets[0], folded ?? null]]);
      duration = () => total;
    }
    if (!transform) return result;
    for (const [b, d] of result) {
      if (d === null) continue;
      if (subs && !condense && d instanceof Map) {
        const t = new Map();
        for (const [s, sd] of d as Map<number, any>) t.set(s, sd === null ? null : transform(sd, iv.subDurationOf(s)));
        result.set(b, t);
      } else {
        result.set(b, transform(d, duration(b)));
      }
    }
    return result;
  }

  /** One stat without sub-buckets: each row decodes into its bucket, then the transform runs per bucket. */
  private async readPlain(name: string, iv: Interval, buckets: readonly number[], transform: TransformFn | null): Promise<SeriesResult> {
    const out: SeriesResult = new Map();
    for (const b of buckets) out.set(b, null);
    if (buckets.length === 0) return out;
    const [rows] = await this.store.read(this.ns, [name], iv.name, buckets[0], buckets[buckets.length - 1]);
    const type = this.type;
    const decode = this.decodeValue;
    for (const row of rows) {
      const bucket = row[0];
      const prev = out.get(bucket);
      if (prev === undefined) continue; // not a bucket of this range
      out.set(bucket, type.decode(prev === null ? undefined : prev, row, decode));
    }
    if (transform) for (const [b, d] of out) if (d !== null) out.set(b, transform(d, iv.durationOf(b)));
    return out;
  }

  private fold(values: any[]): any {
    let acc = values[0];
    for (let i = 1; i < values.length; i++) acc = this.type.join(acc, values[i]);
    return acc;
  }

  /** Join uncondensed buckets of several names sub-bucket by sub-bucket. */
  private joinSubs(maps: Map<number, any>[], joinRows: ((rows: any[]) => any) | null): Map<number, any> {
    const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    const out = new Map<number, any>();
    for (const k of keys) {
      const rows = maps.map((m) => m.get(k)).filter((d) => d !== undefined && d !== null);
      out.set(k, joinRows ? joinRows(rows) : this.fold(rows));
    }
    return out;
  }

  /** Store rows → per name: bucket → (sub → native data). */
  private async loadRows(names: string[], iv: Interval, buckets: readonly number[]): Promise<Array<Map<number, Map<number, any>>>> {
    if (buckets.length === 0) return names.map(() => new Map());
    const rowsByName = await this.store.read(this.ns, names, iv.name, buckets[0], buckets[buckets.length - 1]);
    const type = this.type;
    const decode = this.decodeValue;
    return rowsByName.map((rows: Row[]) => {
      const byBucket = new Map<number, Map<number, any>>();
      let subMap: Map<number, any> | undefined;
      let lastBucket = Number.NaN;
      for (const row of rows) {
        const [bucket, sub] = row;
        if (bucket !== lastBucket) {
          subMap = byBucket.get(bucket);
          if (!subMap) byBucket.set(bucket, (subMap = new Map()));
          lastBucket = bucket;
        }
        subMap!.set(sub, type.decode(subMap!.get(sub), row, decode));
      }
      return byBucket;
    });
  }

  private async fetchRows(
    names: string[],
    iv: Interval,
    buckets: readonly number[],
    fetch: NonNullable<ReadOptions["fetch"]>,
  ): Promise<Array<Map<number, Map<number, any>>>> {
    const out: Array<Map<number, Map<number, any>>> = [];
    for (const name of names) {
      const byBucket = new Map<number, Map<number, any>>();
      for (const bucket of buckets) {
        const data = await fetch(this.store.handle, { namespace: this.ns, name, interval: iv.name, bucket });
        if (data !== undefined && data !== null) byBucket.set(bucket, new Map([[bucket, data]]));
      }
      out.push(byBucket);
    }
    return out;
  }
}

/** Build a timeseries over an opened store; validates the options (type, intervals) at once. */
export function createTimeseries(store: Store, options: TimeseriesOptions): Timeseries {
  return new Timeseries(store, options);
}
