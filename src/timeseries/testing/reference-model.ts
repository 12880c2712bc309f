import { Interval } from "../intervals.js";
import type { TagCondition, TagValueCount, TypeName } from "../store.js";
import { compareCodePoints, tagPairs } from "../tag-pairs.js";
import { compileTransform, type TransformFn } from "../transforms.js";
import { typeDef } from "../types/index.js";
import type { SeriesOptions, TimeseriesOptions } from "../timeseries.js";
import { long_or_float, memberKey, readLongOrFloat, toWritten } from "../values.js";

interface Point {
  name: string;
  interval: string;
  /** Where the point (or its rolled copy) lands. */
  at: number;
  /** The point's own timestamp: decides which gauge value is newest. */
  ts: number;
  value: string | number;
  seq: number;
}

/**
 * The obviously-right model the conformance suite checks every store
 * against: it keeps every point as written and answers each read by
 * scanning them and computing the bucket's data from scratch — no batches,
 * no merging, no stores. Interval math and the built-in transforms are
 * shared with the library (they have their own tests); everything between
 * is independent.
 */
export class ReferenceModel {
  readonly type: TypeName;
  readonly intervals: Interval[];
  private points: Point[] = [];
  private seq = 0;
  /** Per live name, the registration it was last (re)stored under: what `listAfter` orders by. */
  private readonly registered = new Map<string, number>();
  private registrations = 0;
  private readonly options: TimeseriesOptions;
  private readonly clock: () => number;

  constructor(options: TimeseriesOptions) {
    this.options = options;
    this.type = (options.type ?? "count") as TypeName;
    this.intervals = Object.entries(options.intervals).map(([n, s]) => new Interval(n, s));
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  }

  insert(name: string, value: unknown, timestamp: number, rolling = 0): void {
    const written = toWritten(this.options.write_func ?? long_or_float, value === undefined && this.type === "count" ? 1 : value);
    const t = Math.floor(timestamp);
    const now = this.clock();
    for (const iv of this.intervals) {
      const targets = [t];
      for (let r = 1; r <= Math.abs(rolling); r++) targets.push(iv.shift(t, Math.sign(rolling) * r));
      for (const at of targets) {
        if (iv.steps !== null && iv.step.index(at) <= iv.step.index(now) - iv.steps) continue;
        this.points.push({ name, interval: iv.name, at, ts: t, value: written, seq: this.seq++ });
        // A name with no data left (new, deleted or expired) is stored anew.
        if (!this.registered.has(name)) this.registered.set(name, ++this.registrations);
      }
    }
  }

  /** A mark to list names first stored after (see {@link listedAfter}). */
  mark(): number {
    return this.registrations;
  }

  /** Sorted names with data first stored after `mark()` returned `mark` (0: every name). */
  listedAfter(mark: number): string[] {
    return [...this.registered].filter(([, at]) => at > mark).map(([name]) => name).sort();
  }

  /** Names that lost all their data are forgotten: written again, they are new. */
  private forgetGone(): void {
    const live = new Set(this.points.map((p) => p.name));
    for (const name of this.registered.keys()) if (!live.has(name)) this.registered.delete(name);
  }

  expire(name?: string): void {
    const now = this.clock();
    this.points = this.points.filter((p) => {
      const iv = this.interval(p.interval);
      if (name !== undefined && p.name !== name) return true;
      return iv.steps === null || iv.step.index(p.at) > iv.step.index(now) - iv.steps;
    });
    this.forgetGone();
  }

  delete(name: string): void {
    this.points = this.points.filter((p) => p.name !== name);
    this.forgetGone();
  }

  list(): string[] {
    return [...new Set(this.points.map((p) => p.name))].sort();
  }

  /** The stored tag index as a scan of the names with data: every pair of every tagged name. */
  private tagged(): Array<[string, Array<[string, string]>]> {
    return this.list().map((n): [string, Array<[string, string]>] => [n, tagPairs(n)]).filter(([, pairs]) => pairs.length > 0);
  }

  tagKeys(prefix = "", limit = Infinity): string[] {
    const keys = new Set<string>();
    for (const [, pairs] of this.tagged()) for (const [tag] of pairs) if (tag.startsWith(prefix)) keys.add(tag);
    return [...keys].sort(compareCodePoints).slice(0, limit);
  }

  tagValues(tag: string, prefix = "", limit = Infinity): string[] {
    return this.tagCounts(tag, prefix, limit).map((v) => v.value);
  }

  tagCounts(tag: string, prefix = "", limit = Infinity): TagValueCount[] {
    const counts = new Map<string, Set<string>>();
    for (const [name, pairs] of this.tagged()) {
      for (const [t, v] of pairs) {
        if (t !== tag || !v.startsWith(prefix)) continue;
        let set = counts.get(v);
        if (!set) counts.set(v, (set = new Set()));
        set.add(name);
      }
    }
    return [...counts].map(([value, names]) => ({ value, count: names.size })).sort((a, b) => compareCodePoints(a.value, b.value)).slice(0, limit);
  }

  findTagged(conditions: readonly TagCondition[]): string[] {
    return this.tagged()
      .filter(([, pairs]) => conditions.every((c) => pairs.some(([t, v]) => t === c.tag && c.values.includes(v))))
      .map(([name]) => name)
      .sort(compareCodePoints);
  }

  properties(name: string): Record<string, { first: number; last: number }> {
    const out: Record<string, { first: number; last: number }> = {};
    for (const iv of this.intervals) {
      const buckets = this.points.filter((p) => p.name === name && p.interval === iv.name).map((p) => iv.bucketOf(p.at));
      if (buckets.length) out[iv.name] = { first: Math.min(...buckets), last: Math.max(...buckets) };
    }
    return out;
  }

  interval(name: string): Interval {
    const iv = this.intervals.find((i) => i.name === name);
    if (!iv) throw new Error(`no interval ${name}`);
    return iv;
  }

  /** The data of these points, computed from scratch, ordered by `key`. */
  private native(points: Point[]): any {
    if (points.length === 0) return null;
    const read = this.options.read_func ? (v: string | number) => this.options.read_func!(memberKey(v)) : readLongOrFloat;
    switch (this.type) {
      case "count":
        return points.reduce((s, p) => s + Number(p.value), 0);
      case "histogram": {
        const m = new Map<any, number>();
        for (const p of points) m.set(read(memberKey(p.value)), (m.get(read(memberKey(p.value))) ?? 0) + 1);
        return m;
      }
      case "set":
        return new Set(points.map((p) => read(memberKey(p.value))));
      case "series":
        return points.map((p) => read(memberKey(p.value)));
      case "gauge": {
        // Newest by timestamp, a later write winning a tie.
        let best = points[0];
        for (const p of points) if (p.ts > best.ts || (p.ts === best.ts && p.seq > best.seq)) best = p;
        return read(memberKey(best.value));
      }
    }
  }

  /**
   * Gauges join as "last non-empty", so their data depends on the grouping:
   * the last group (sub-bucket, name, bucket) that has points. Other types
   * are plain functions of the points, in the order given.
   */
  private gaugeOf(groups: Point[][]): any {
    for (let i = groups.length - 1; i >= 0; i--) if (groups[i].length) return this.native(groups[i]);
    return null;
  }

  series(names: string | string[], interval: string, options: SeriesOptions = {}): Map<number, any> {
    const list = typeof names === "string" ? [names] : names;
    const iv = this.interval(interval);
    const sec = (t: number | Date | null | undefined) => (t === undefined || t === null ? null : Math.floor(t instanceof Date ? t.getTime() / 1000 : t));
    const buckets = iv.range({ start: sec(options.start), end: sec(options.end), steps: options.steps }, this.clock());
    const subs = iv.resolution !== null;
    const condense = subs && Boolean(options.condense || options.collapse);
    const transform: TransformFn | null = options.transform ? compileTransform(typeDef(this.type), options.transform) : null;
    const mine = this.points.filter((p) => p.interval === interval && list.includes(p.name));
    const inBucket = (b: number) => mine.filter((p) => iv.bucketOf(p.at) === b);
    const nameIdx = (p: Point) => list.indexOf(p.name);
    const order = (a: Point, b: Point) =>
      iv.bucketOf(a.at) - iv.bucketOf(b.at) || nameIdx(a) - nameIdx(b) || iv.subOf(a.at) - iv.subOf(b.at) || a.seq - b.seq;

    // Condensed (or no resolution): one datum per bucket.
    const bucketData = (b: number): any => {
      const pts = inBucket(b).sort(order);
      if (this.type !== "gauge") return this.native(pts);
      return this.gaugeOf(list.map((n) => {
        const own = pts.filter((p) => p.name === n);
        const lastSub = Math.max(...own.map((p) => iv.subOf(p.at)));
        return own.filter((p) => iv.subOf(p.at) === lastSub);
      }));
    };

    const out = new Map<number, any>();
    if (options.collapse) {
      const pts = mine.filter((p) => buckets.includes(iv.bucketOf(p.at))).sort(order);
      let data: any;
      if (this.type === "gauge") {
        const withData = buckets.filter((b) => inBucket(b).length > 0);
        data = withData.length ? bucketData(withData[withData.length - 1]) : null;
      } else {
        data = this.native(pts);
      }
      const duration = buckets.reduce((s, b) => s + iv.durationOf(b), 0);
      out.set(buckets[0], data === null || !transform ? data : transform(data, duration));
      return out;
    }
    for (const b of buckets) {
      if (!subs || condense) {
        const data = bucketData(b);
        out.set(b, data === null || !transform ? data : transform(data, iv.durationOf(b)));
        continue;
      }
      const pts = inBucket(b);
      if (pts.length === 0) {
        out.set(b, null);
        continue;
      }
      const bySub = new Map<number, any>();
      for (const s of [...new Set(pts.map((p) => iv.subOf(p.at)))].sort((x, y) => x - y)) {
        const inSub = pts.filter((p) => iv.subOf(p.at) === s).sort((x, y) => nameIdx(x) - nameIdx(y) || x.seq - y.seq);
        const data = this.type === "gauge" ? this.gaugeOf(list.map((n) => inSub.filter((p) => p.name === n))) : this.native(inSub);
        bySub.set(s, !transform ? data : transform(data, iv.subDurationOf(s)));
      }
      out.set(b, bySub);
    }
    return out;
  }
}
