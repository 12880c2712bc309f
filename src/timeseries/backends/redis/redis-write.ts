/**
 * A WriteBatch turned into the WRITE script's arguments: a header and
 * records grouped by cluster slot (one group standalone); the store joins
 * the groups of each node into one call. Everything is checked and encoded
 * before anything is sent, so a bad batch sends nothing.
 */
import { StoreError, quote } from "../../errors.js";
import type { Interval } from "../../intervals.js";
import { TYPE_NAMES, type Namespace, type TypeName } from "../../store.js";
import { typeDef, type RowSink, type TypeDef } from "../../types/index.js";
import type { BatchPart, WriteBatch } from "../../write-batch.js";
import { chunkSize, intervalToken, type KeySpace, type NameTag } from "./redis-keys.js";

/** One slot's share of a batch (the whole batch standalone). */
export interface SlotGroup {
  /** Cluster slot (0 standalone). */
  readonly slot: number;
  /** A key in the slot, to route the call. */
  readonly key: string;
  /** WRITE records of the slot's stats, joined with other groups of the same node into ARGV[2]. */
  readonly records: Array<string | number>;
}

/**
 * A flush the batch carries (one, or a merged replay's several), with the
 * smallest key base (`P T :{H}:`) of its names per cluster slot (slot 0
 * standalone): a script on a node records the flush under the smallest
 * of those bases in the node's slots (see `marksOf` in redis-store.ts).
 * Every name the flush staged counts, rows or not, so the flush written
 * alone or merged with others is recorded under the same key.
 */
export interface FlushHome {
  readonly id: string;
  readonly bases: Map<number, string>;
}

/** A batch ready to send: one header shared by every WRITE call, and the groups. */
export interface EncodedBatch {
  /** WRITE's ARGV[1]. */
  readonly header: string;
  readonly groups: SlotGroup[];
  /** Names registry key of each namespace of the header (1-based namespace# − 1). */
  readonly registries: string[];
  /** The flushes it carries: none for a batch without a flush id. */
  readonly flushes: FlushHome[];
}

/** Namespaces and intervals of a batch, numbered for the records. */
class Header {
  readonly spaces: Array<string | number> = [];
  readonly registries: string[] = [];
  readonly intervals: Array<string | number> = [];
  private readonly spaceIds = new Map<string, number>();
  private readonly intervalIds = new Map<string, number>();

  /** `names` is the registry key, `tags` the tag index's key base; `inline` whether WRITE registers names itself (standalone). */
  space(type: TypeName, head: string, names: string, tags: string, inline: boolean): number {
    const id = `${type}\u0000${head}`;
    let i = this.spaceIds.get(id);
    if (i === undefined) {
      this.spaces.push(type, head, inline ? names : "", inline ? tags : "");
      this.registries.push(names);
      this.spaceIds.set(id, (i = this.spaces.length / 4));
    }
    return i;
  }

  interval(iv: Interval): number {
    const keep = iv.steps === null ? 0 : iv.steps * iv.step.seconds;
    const token = intervalToken(iv.name);
    const id = `${token}\u0000${keep}`;
    let i = this.intervalIds.get(id);
    if (i === undefined) {
      this.intervals.push(token, keep);
      this.intervalIds.set(id, (i = this.intervals.length / 2));
    }
    return i;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/**
 * Lone UTF-16 surrogates as U+FFFD: Lua's JSON decoder rejects them (one
 * odd name would fail every flush it is in), and ioredis sends them as
 * U+FFFD in plain arguments anyway, so reads by the same name find the same key.
 */
function wellFormed(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, "\ufffd") : text;
}

function finite(url: string, what: string, v: number): number {
  if (!Number.isFinite(v)) throw new StoreError(url, `write: ${what} ${quote(v)} is not a finite number; nothing was written`, { retryable: false });
  return v;
}

/**
 * Encode `batch`. On a standalone server it is one group (sent as one
 * script call, so the whole flush is atomic, names registry included). On
 * a cluster it is one group per slot; the store sends one call per node,
 * then registers the names the calls report as new (the registry lives in
 * a slot of its own).
 */
export function encodeBatch(
  url: string,
  batch: WriteBatch,
  keySpace: (ns: Namespace) => KeySpace,
  cluster: boolean,
  wallNow: number,
): EncodedBatch {
  const header = new Header();
  const groups = new Map<number, { key: string; records: Array<string | number> }>();
  // A lone flush's home is found on the way; a merged one's from the names each of its flushes staged.
  const lone = batch.flushIds === undefined && batch.flushId !== undefined ? new HomeFinder(cluster) : null;
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) {
      throw new StoreError(url, `write: unknown type ${quote(type)} (have ${TYPE_NAMES.join(", ")}); nothing was written`, { retryable: false });
    }
    const def = typeDef(type);
    const sink = new RecordSink(url, def);
    const ks = keySpace(part.ns);
    const ns = header.space(type, ks.head, ks.names, ks.tags, !cluster);
    const ivIds = part.intervals.map((iv) => header.interval(iv));
    const sizes = part.intervals.map(chunkSize);
    lone?.startPart();
    for (let slot = 0; slot < part.names.length; slot++) {
      const name = part.names[slot];
      let used = 0;
      for (let i = 0; i < part.intervals.length; i++) if (part.head(slot, i) !== -1) used++;
      if (used === 0 && lone === null) continue;
      const tag = ks.tagOf(name);
      lone?.add(tag);
      if (used === 0) continue;
      const slotOfKey = cluster ? tag.slot : 0;
      let g = groups.get(slotOfKey);
      if (!g) groups.set(slotOfKey, (g = { key: cluster ? ks.intervals(name) : ks.names, records: [] }));
      const rec = g.records;
      sink.rec = rec;
      rec.push(ns, tag.hash, wellFormed(name), used);
      for (let i = 0; i < part.intervals.length; i++) {
        const head = part.head(slot, i);
        if (head === -1) continue;
        rec.push(ivIds[i]);
        encodeInterval(sink, part, part.intervals[i], sizes[i], head);
      }
    }
    lone?.endPart(ks.head);
  }
  let flushes: FlushHome[] = [];
  if (lone !== null) flushes = [{ id: batch.flushId!, bases: lone.bases }];
  else if (batch.flushIds !== undefined) {
    const staged = batch.flushNames;
    if (staged === undefined || staged.length !== batch.flushIds.length) {
      throw new StoreError(url, "write: a merged batch without the names of each of its flushes; nothing was written", { retryable: false });
    }
    flushes = batch.flushIds.map((id, f) => {
      const finder = new HomeFinder(cluster);
      for (const { ns, names } of staged[f]) {
        const ks = keySpace(ns);
        finder.startPart();
        for (const name of names) finder.add(ks.tagOf(name));
        finder.endPart(ks.head);
      }
      return { id, bases: finder.bases };
    });
  }
  return {
    header: JSON.stringify([header.spaces, header.intervals, wallNow]),
    groups: [...groups].map(([slot, g]) => ({ slot, key: g.key, records: g.records })),
    flushes,
    registries: header.registries,
  };
}

/**
 * A flush's smallest key base per slot. Within a namespace the bases
 * differ only by the fixed-width hash, so the smallest hash per slot is
 * kept while a namespace's names go by, and the base built once at its end.
 */
class HomeFinder {
  readonly bases = new Map<number, string>();
  private hashes = new Map<number, string>();
  private least: string | null = null;
  constructor(private readonly cluster: boolean) {}

  startPart(): void {
    this.hashes = new Map();
    this.least = null;
  }

  add(tag: NameTag): void {
    if (!this.cluster) {
      if (this.least === null || tag.hash < this.least) this.least = tag.hash;
      return;
    }
    const h = this.hashes.get(tag.slot);
    if (h === undefined || tag.hash < h) this.hashes.set(tag.slot, tag.hash);
  }

  endPart(head: string): void {
    if (this.least !== null) this.hashes.set(0, this.least);
    for (const [slot, hash] of this.hashes) {
      const base = `${head}{${hash}}:`;
      const had = this.bases.get(slot);
      if (had === undefined || base < had) this.bases.set(slot, base);
    }
  }
}

/**
 * A cell's rows as WRITE record entries, by the type's row shape: a member
 * or a value of many is `field:member` (then its n, if any); a total is
 * `field, total`; a single value is `field, ts, value`. `rec` and `field`
 * are set per stat and cell: one sink per batch part.
 */
class RecordSink implements RowSink {
  rec: Array<string | number> = [];
  field = "";
  private readonly many: boolean;
  private readonly total: boolean;
  /** For messages, e.g. "histogram count", "gauge timestamp". */
  private readonly aLabel: string;
  private readonly bLabel: string;

  constructor(
    private readonly url: string,
    def: TypeDef,
  ) {
    this.many = def.rows.many;
    this.total = def.rows.a === "total";
    this.aLabel = def.name;
    this.bLabel = `${def.name} ${def.rows.b === "ts" ? "timestamp" : "count"}`;
  }

  row(a: string | number, b: number | undefined): void {
    if (this.many) {
      this.rec.push(`${this.field}:${wellFormed(a as string)}`);
      if (b !== undefined) this.rec.push(finite(this.url, this.bLabel, b));
    } else if (this.total) {
      this.rec.push(this.field, finite(this.url, this.aLabel, a as number));
    } else if (b !== undefined) {
      this.rec.push(this.field, String(finite(this.url, this.bLabel, b)), wellFormed(a as string));
    } else {
      this.rec.push(this.field, wellFormed(a as string));
    }
  }
}

/**
 * One stat's cells in one interval → records. Cells come in staging
 * order, so consecutive cells mostly share a chunk: each run of them is
 * written straight into the records as one chunk entry (a chunk seen again
 * later gets a second entry, which the script merges the same way).
 */
function encodeInterval(sink: RecordSink, part: BatchPart, iv: Interval, size: number, head: number): void {
  const rec = sink.rec;
  const step = iv.step;
  const nchAt = rec.length;
  rec.push(0);
  let nch = 0;
  let start = Number.NaN;
  let countAt = -1;
  let lastBucket = Number.NaN;
  for (let cell = head; cell !== -1; cell = part.cellNext[cell]) {
    const sub = part.cellSub[cell];
    const bucket = iv.bucketOf(sub);
    if (bucket !== lastBucket) {
      lastBucket = bucket;
      const first = Math.floor(step.index(bucket) / size) * size;
      const s = step.start(first);
      if (s !== start) {
        if (countAt >= 0) rec[countAt] = rec.length - countAt - 1;
        start = s;
        rec.push(String(s), step.start(first + size), 0);
        countAt = rec.length - 1;
        nch++;
      }
    }
    sink.field = `${bucket - start}:${sub - bucket}`;
    part.cellRows(cell, sink);
  }
  if (countAt >= 0) rec[countAt] = rec.length - countAt - 1;
  rec[nchAt] = nch;
}
