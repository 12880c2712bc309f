/**
 * Points kept in memory between requests, per (store, namespace, interval,
 * name) as Float64Arrays, and refreshed exactly: each read first asks the
 * store which buckets changed since the last ask (`Store.changesSince`,
 * recorded in the same transaction as every write), then reads from the
 * store only what it lacks — changed buckets of cached names, the new end
 * of a window that moved on, and cold names — in one store read per range.
 * Bounded by bytes, least recently used first out. Stores without a journal
 * are read directly every time.
 */
import type { Runtime } from "../../../runtime/runtime.js";
import type { Interval, Store, Timeseries } from "../../../timeseries/index.js";
import type { NamePoints, PointRead, PointSource } from "../graphite-data.js";
import { DirectPointSource } from "./direct-point-source.js";
import { pointGrid } from "./point-grid.js";
import { readPoints } from "./rows-to-points.js";

export interface WindowedPointSourceOptions {
  /** Most bytes of points kept (all names together), or a function read on each request; 0 keeps nothing (every read is direct). */
  maxBytes: number | (() => number);
  /** Reads for stores without a change journal, and reads too large to keep. */
  direct?: PointSource;
}

/** Points of room an entry's array keeps past its extent (at least; a quarter of it when larger). */
const SLACK = 64;
/** Bytes counted per entry besides its points and name. */
const ENTRY_OVERHEAD = 96;
/** A changed-range log this long is trimmed to what cached names still need. */
const LOG_TRIM = 64;
/** …and folded into one range when still longer: re-reading a wider range is always exact. */
const LOG_MAX = 512;

/** A bucket range changed, numbered in its group's order. */
interface Logged {
  readonly seq: number;
  readonly first: number;
  readonly last: number;
}

/** One (store, namespace, interval): the ranges changed since the oldest cached name of it was refreshed. */
class Group {
  /** Bumped when anything may have changed: entries of another epoch are stale. */
  epoch = 0;
  seq = 0;
  log: Logged[] = [];
  readonly members = new Set<Entry>();
  constructor(readonly id: number) {}

  changed(first: number, last: number): void {
    this.log.push({ seq: ++this.seq, first, last });
  }

  reset(): void {
    this.epoch++;
    this.log = [];
    this.members.clear();
  }

  trim(): void {
    if (this.log.length <= LOG_TRIM) return;
    let oldest = this.seq;
    for (const e of this.members) if (e.seq < oldest) oldest = e.seq;
    this.log = this.log.filter((l) => l.seq > oldest);
    if (this.log.length <= LOG_MAX) return;
    const cut = this.log.length - LOG_TRIM;
    const folded = this.log.slice(0, cut);
    let first = Infinity;
    let last = -Infinity;
    for (const l of folded) {
      first = Math.min(first, l.first);
      last = Math.max(last, l.last);
    }
    this.log = [{ seq: folded[folded.length - 1].seq, first, last }, ...this.log.slice(cut)];
  }
}

/** One namespace of one store: its journal cursor and its interval groups. */
class NsState {
  cursor: number | null = null;
  readonly groups = new Map<string, Group>();
}

/**
 * The cached points of one name: buckets first..last, `values[i]` the point
 * of calendar index `lo + i`. The array has room past `last`, so a window
 * sliding on grows in place for a while instead of being copied each minute.
 */
interface Entry {
  readonly key: string;
  readonly group: Group;
  epoch: number;
  /** The group seq this entry is current through. */
  seq: number;
  first: number;
  last: number;
  lo: number;
  values: Float64Array;
  bytes: number;
}

/** What one name of a read needs: its new extent, and the bucket ranges to read into it. */
interface Plan {
  first: number;
  last: number;
  reads: Array<[number, number]>;
}

export class WindowedPointSource implements PointSource {
  private readonly direct: PointSource;
  private readonly limit: () => number;
  /**
   * Per schema view (its namespace, intervals and read_func): a reload builds
   * new ones, so points decoded under an old configuration are never served;
   * their entries age out of the LRU.
   */
  private schemas = new WeakMap<Timeseries, NsState>();
  /** Every entry, least recently used first. */
  private readonly lru = new Map<string, Entry>();
  private bytes = 0;
  private nextGroup = 1;
  /** Reads run one at a time: each reads the journal, then mutates entries. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WindowedPointSourceOptions) {
    const max = options.maxBytes;
    this.limit = typeof max === "function" ? max : () => max;
    this.direct = options.direct ?? new DirectPointSource();
  }

  /** Bytes of points kept now. */
  get size(): number {
    return this.bytes;
  }

  clear(): void {
    this.lru.clear();
    this.bytes = 0;
    this.schemas = new WeakMap();
  }

  read(read: PointRead): Promise<NamePoints[]> {
    const store = read.schema.store;
    const grid = pointGrid(read.interval, read.first, read.last);
    const max = this.limit();
    if (typeof store.changesSince !== "function" || max <= 0 || read.names.length === 0 || grid.length <= 0 || read.names.length * grid.length * 8 > max / 2) {
      return this.direct.read(read);
    }
    const run = this.queue.then(() => this.windowed(read, store));
    this.queue = run.catch(() => {});
    return run;
  }

  private nsState(ts: Timeseries): NsState {
    let state = this.schemas.get(ts);
    if (!state) this.schemas.set(ts, (state = new NsState()));
    return state;
  }

  private group(state: NsState, interval: string): Group {
    let g = state.groups.get(interval);
    if (!g) state.groups.set(interval, (g = new Group(this.nextGroup++)));
    return g;
  }

  private async windowed(read: PointRead, store: Store): Promise<NamePoints[]> {
    const ts = read.schema.series;
    const ns = ts.ns;
    const iv = read.interval;
    const state = this.nsState(ts);
    // The journal first, the data after: what is read is at least as new as the cursor.
    const { cursor, changes } = await store.changesSince!(ns, state.cursor);
    if (changes === null) {
      for (const g of state.groups.values()) this.dropGroup(g);
    } else {
      // Only names kept need to hear of a change; a group with none starts from the store anyway.
      const heard = new Set<Group>();
      for (const c of changes) {
        const g = state.groups.get(c.interval);
        if (!g || g.members.size === 0) continue;
        g.changed(c.first, c.last);
        heard.add(g);
      }
      for (const g of heard) g.trim();
    }
    state.cursor = cursor;
    const group = this.group(state, iv.name);
    const grid = pointGrid(iv, read.first, read.last);

    // Plan each distinct name; names needing the same reads share one store read per range.
    const unique = [...new Set(read.names)];
    const plans = new Map<string, { plan: Plan; names: string[] }>();
    for (const name of unique) {
      const entry = this.entry(group, name);
      const plan = this.plan(iv, group, entry, read.first, read.last);
      const key = `${plan.first},${plan.last}:${plan.reads.join(";")}:${entry ? `${entry.first},${entry.last}` : "-"}`;
      let same = plans.get(key);
      if (!same) plans.set(key, (same = { plan, names: [] }));
      same.names.push(name);
    }

    const touched: Entry[] = [];
    try {
      for (const { plan, names } of plans.values()) {
        const entries = names.map((name) => this.extend(iv, group, name, plan));
        touched.push(...entries);
        for (const [first, last] of plan.reads) {
          if (last < first) continue;
          // What is read replaces what was kept: clear the range first (a point may be gone, after an expiry).
          const span = pointGrid(iv, first, last);
          for (const e of entries) e.values.fill(Number.NaN, span.firstIndex - e.lo, span.firstIndex - e.lo + span.length);
          await readPoints(store, ns, ts.type, ts.decodeValue, names, iv.name, first, last, span.cal, entries.map((e) => e.lo), entries.map((e) => e.values));
        }
      }
    } catch (err) {
      // A half-refreshed entry must not be trusted: drop what this read touched.
      for (const e of touched) this.evict(e);
      throw err;
    }
    for (const e of touched) {
      e.seq = group.seq;
      e.epoch = group.epoch;
    }

    // Copies (callers may write into their arrays), all in one allocation: a thousand small ones cost more than the copying.
    const byName = new Map<string, NamePoints>();
    const all = new Float64Array(unique.length * grid.length);
    for (let k = 0; k < unique.length; k++) {
      const e = this.lru.get(`${group.id}\u0000${unique[k]}`)!;
      const from = grid.firstIndex - e.lo;
      const values = all.subarray(k * grid.length, (k + 1) * grid.length);
      values.set(e.values.subarray(from, from + grid.length));
      byName.set(unique[k], { start: grid.start, step: grid.step, values });
    }
    this.evictOverBudget(this.limit());
    return read.names.map((name) => byName.get(name)!);
  }

  /** The cached entry of a name in this group (moved to the recent end), or undefined when absent or stale. */
  private entry(group: Group, name: string): Entry | undefined {
    const key = `${group.id}\u0000${name}`;
    const e = this.lru.get(key);
    if (!e) return undefined;
    if (e.epoch !== group.epoch || e.group !== group) {
      this.evict(e);
      return undefined;
    }
    this.lru.delete(key);
    this.lru.set(key, e);
    return e;
  }

  /**
   * The entry's new extent and what to read into it: the request's buckets
   * it lacks, and the buckets changed since it was refreshed. The extent
   * grows to cover the request while it fits the entry's array; when it does
   * not (a window that slid on for hours) it starts at the request instead.
   */
  private plan(iv: Interval, group: Group, entry: Entry | undefined, first: number, last: number): Plan {
    if (!entry) return { first, last, reads: [[first, last]] };
    let nf = Math.min(first, entry.first);
    let nl = Math.max(last, entry.last);
    const grown = pointGrid(iv, nf, nl);
    if (grown.firstIndex < entry.lo || grown.firstIndex + grown.length > entry.lo + entry.values.length) {
      if (first > entry.first) nf = first;
      if (pointGrid(iv, nf, nl).length > 2 * pointGrid(iv, first, last).length + SLACK) {
        nf = first;
        nl = last;
      }
    }
    const of = Math.max(nf, entry.first);
    const ol = Math.min(nl, entry.last);
    if (ol < of) return { first: nf, last: nl, reads: [[nf, nl]] };
    const reads: Array<[number, number]> = [];
    if (nf < of) reads.push([nf, prevBucket(iv, of)]);
    if (ol < nl) reads.push([nextBucket(iv, ol), nl]);
    // Changed ranges, clamped to the part kept, merged.
    const dirty: Array<[number, number]> = [];
    for (const l of group.log) {
      if (l.seq <= entry.seq) continue;
      const a = Math.max(l.first, of);
      const b = Math.min(l.last, ol);
      if (a <= b) dirty.push([iv.bucketOf(a), iv.bucketOf(b)]);
    }
    dirty.sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const d of dirty) {
      const top = merged[merged.length - 1];
      if (top && d[0] <= nextBucket(iv, top[1])) top[1] = Math.max(top[1], d[1]);
      else merged.push(d);
    }
    return { first: nf, last: nl, reads: [...reads, ...merged] };
  }

  /** The entry of `name` with the plan's extent: created, or grown/cut with the points it keeps copied over. */
  private extend(iv: Interval, group: Group, name: string, plan: Plan): Entry {
    const key = `${group.id}\u0000${name}`;
    const old = this.lru.get(key);
    if (old && old.first === plan.first && old.last === plan.last) return old;
    const grid = pointGrid(iv, plan.first, plan.last);
    if (old && grid.firstIndex >= old.lo && grid.firstIndex + grid.length <= old.lo + old.values.length) {
      // Grows inside its array: the new points are read by the plan (which fills them), nothing moves.
      old.first = plan.first;
      old.last = plan.last;
      return old;
    }
    const values = new Float64Array(grid.length + Math.max(SLACK, grid.length >> 2)).fill(Number.NaN);
    if (old) {
      const kept = pointGrid(iv, old.first, old.last);
      const from = Math.max(grid.firstIndex, kept.firstIndex);
      const to = Math.min(grid.firstIndex + grid.length, kept.firstIndex + kept.length);
      if (from < to) values.set(old.values.subarray(from - old.lo, to - old.lo), from - grid.firstIndex);
      this.evict(old);
    }
    const e: Entry = {
      key,
      group,
      epoch: old?.epoch ?? group.epoch,
      seq: old?.seq ?? group.seq,
      first: plan.first,
      last: plan.last,
      lo: grid.firstIndex,
      values,
      bytes: values.byteLength + ENTRY_OVERHEAD + 2 * name.length,
    };
    this.lru.set(key, e);
    group.members.add(e);
    this.bytes += e.bytes;
    return e;
  }

  private evict(e: Entry): void {
    if (this.lru.get(e.key) !== e) return;
    this.lru.delete(e.key);
    e.group.members.delete(e);
    this.bytes -= e.bytes;
  }

  private dropGroup(g: Group): void {
    for (const e of g.members) {
      if (this.lru.get(e.key) === e) {
        this.lru.delete(e.key);
        this.bytes -= e.bytes;
      }
    }
    g.reset();
  }

  private evictOverBudget(max: number): void {
    for (const e of this.lru.values()) {
      if (this.bytes <= max) break;
      this.evict(e);
    }
  }
}

function nextBucket(iv: Interval, bucket: number): number {
  return iv.step.start(iv.step.index(bucket) + 1);
}

function prevBucket(iv: Interval, bucket: number): number {
  return iv.step.start(iv.step.index(bucket) - 1);
}

/** The query server's default: a window bounded by POINT_WINDOW_MB of the configuration in use. */
export function windowedPoints(runtime: () => Runtime): WindowedPointSource {
  return new WindowedPointSource({ maxBytes: () => runtime().config.pointWindowBytes });
}
