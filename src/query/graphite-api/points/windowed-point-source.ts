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
import type { Interval, Namespace, Store } from "../../../timeseries/index.js";
import type { NamePoints, PointRead, PointSource } from "../graphite-data.js";
import { DirectPointSource } from "./direct-point-source.js";
import { pointGrid } from "./point-grid.js";
import { fillPoints } from "./rows-to-points.js";

export interface WindowedPointSourceOptions {
  /** Most bytes of points kept (all names together); 0 keeps nothing (every read is direct). */
  maxBytes: number;
  /** Reads for stores without a change journal, and reads too large to keep. */
  direct?: PointSource;
}

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

/** The cached points of one name: buckets first..last, `values[i]` the point of calendar index `lo + i`. */
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
  private readonly maxBytes: number;
  private stores = new WeakMap<Store, Map<string, NsState>>();
  /** Every entry, least recently used first. */
  private readonly lru = new Map<string, Entry>();
  private bytes = 0;
  private nextGroup = 1;
  /** Reads run one at a time: each reads the journal, then mutates entries. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WindowedPointSourceOptions) {
    this.maxBytes = options.maxBytes;
    this.direct = options.direct ?? new DirectPointSource();
  }

  /** Bytes of points kept now. */
  get size(): number {
    return this.bytes;
  }

  clear(): void {
    this.lru.clear();
    this.bytes = 0;
    this.stores = new WeakMap();
  }

  read(read: PointRead): Promise<NamePoints[]> {
    const store = read.schema.store;
    const grid = pointGrid(read.interval, read.first, read.last);
    if (typeof store.changesSince !== "function" || this.maxBytes <= 0 || read.names.length === 0 || grid.length <= 0 || read.names.length * grid.length * 8 > this.maxBytes / 2) {
      return this.direct.read(read);
    }
    const run = this.queue.then(() => this.windowed(read, store));
    this.queue = run.catch(() => {});
    return run;
  }

  private nsState(store: Store, ns: Namespace): NsState {
    let byNs = this.stores.get(store);
    if (!byNs) this.stores.set(store, (byNs = new Map()));
    const key = `${ns.type}\u0000${ns.prefix}`;
    let state = byNs.get(key);
    if (!state) byNs.set(key, (state = new NsState()));
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
    const state = this.nsState(store, ns);
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
    const planOf = new Map<string, Plan>();
    for (const name of unique) {
      const entry = this.entry(group, name);
      const plan = this.plan(iv, group, entry, read.first, read.last, grid.length);
      const key = `${plan.first},${plan.last}:${plan.reads.join(";")}:${entry ? `${entry.first},${entry.last}` : "-"}`;
      let same = plans.get(key);
      if (!same) plans.set(key, (same = { plan, names: [] }));
      same.names.push(name);
      planOf.set(name, plan);
    }

    const touched: Entry[] = [];
    try {
      for (const { plan, names } of plans.values()) {
        const entries = names.map((name) => this.extend(iv, group, name, plan));
        touched.push(...entries);
        for (const [first, last] of plan.reads) {
          if (last < first) continue;
          const rows = await store.read(ns, names, iv.name, first, last);
          const span = pointGrid(iv, first, last);
          for (let k = 0; k < entries.length; k++) {
            const e = entries[k];
            const from = span.firstIndex - e.lo;
            e.values.fill(Number.NaN, from, from + span.length);
            fillPoints(ts.type, ts.decodeValue, span.cal, e.lo, rows[k], e.values);
          }
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

    const byName = new Map<string, NamePoints>();
    for (const name of unique) {
      const e = this.lru.get(`${group.id}\u0000${name}`)!;
      const from = grid.firstIndex - e.lo;
      byName.set(name, { start: grid.start, step: grid.step, values: e.values.slice(from, from + grid.length) });
    }
    this.evictOverBudget();
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
   * grows to cover the request; when the union would be more than twice the
   * request (a window sliding on for hours) it starts at the request instead.
   */
  private plan(iv: Interval, group: Group, entry: Entry | undefined, first: number, last: number, length: number): Plan {
    if (!entry) return { first, last, reads: [[first, last]] };
    let nf = Math.min(first, entry.first);
    let nl = Math.max(last, entry.last);
    if (pointGrid(iv, nf, nl).length > 2 * length + 64) {
      nf = first;
      nl = last;
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
    const values = new Float64Array(grid.length).fill(Number.NaN);
    if (old) {
      const from = Math.max(grid.firstIndex, old.lo);
      const to = Math.min(grid.firstIndex + grid.length, old.lo + old.values.length);
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

  private evictOverBudget(): void {
    for (const e of this.lru.values()) {
      if (this.bytes <= this.maxBytes) break;
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
