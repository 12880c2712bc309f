/**
 * The Redis key layout. Everything one stat stores (all its intervals,
 * chunks and per-stat registries) shares one cluster hash tag, so a flush
 * touches one slot per stat and a stat's reads and deletes are one script
 * on one node.
 *
 * Buckets are stored in chunks: one key holds {@link chunkSize} consecutive
 * buckets of a stat's interval. A steady stream then merges into keys that
 * already exist (one command per merge, no TTL or index upkeep), a read of
 * 1,440 minute buckets is a couple of dozen keys, and TTL stays per key as
 * Redis wants it: a chunk expires with its last bucket.
 *
 * For a namespace prefix `P` (":" appended when missing), type `T`, stat
 * `name`, interval token `I` (see {@link intervalToken}) and chunk start `C`:
 *
 * | key | Redis type | holds |
 * | --- | --- | --- |
 * | `P T :{H}:b: I : C : name` | hash / set / list | one chunk of buckets (see below) |
 * | `P T :{H}:i: I : name` | sorted set | chunk starts, scored by the chunk's end |
 * | `P T :{H}:v: name` | set | interval tokens the stat has chunks in |
 * | `P T :names` | sorted set | stat names, scored by the latest expiry of any of their keys |
 * | `P T :{S}:tags:` … | sorted sets, sets | the tag index (see `TAGS` in redis-scripts.ts), in the registry's slot |
 * | `P T :{H}:f: id` | string | a flush applied in this slot (see redis-store.ts), kept an hour |
 * | `P T :{S}:tags:log`, `…:seq` | sorted set, string | names by registration sequence, and its counter, for `listAfter` (see redis-list-after.ts) |
 *
 * `H` is a hash of the name: names may hold `{`, `}`, `:` or any Unicode,
 * so the tag is never taken from the name itself. Everything after `H`
 * is unambiguous: the interval token is length-prefixed, the chunk start
 * is an integer and the name is always last.
 *
 * Chunk contents by type (`B` = bucket start, `off` = sub-bucket start − B,
 * `0` without a resolution): count → hash `B:off` → running total;
 * histogram → hash `B:off:member` → n; set → set of `B:off:member`; series
 * → list of `B:off:value` in arrival order; gauge → hash `B:off` → `ts:value`.
 */
import { Buffer } from "node:buffer";
import { ErrorCodes, TorusError, quote } from "../../errors.js";
import type { Interval } from "../../intervals.js";
import type { Namespace } from "../../store.js";
import { DEFAULT_NAME_CACHE_MB, NameCache } from "../name-cache.js";
import { hashTagOf, slotOf } from "./redis-slot.js";

/** A name's hash (its tag) and its cluster slot. */
export interface NameTag {
  hash: string;
  slot: number;
}

/** FNV-1a over UTF-16 code units, as 8 hex digits: a short, tag-safe stand-in for the name. */
export function nameHash(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * `bytes.interval`: the interval name prefixed with its UTF-8 length, so a
 * name holding `:` can't make two keys collide. Byte length because the
 * Lua scripts see bytes.
 */
export function intervalToken(interval: string): string {
  return `${Buffer.byteLength(interval)}.${interval}`;
}

/** Inverse of {@link intervalToken}. */
export function intervalOfToken(token: string): string {
  return token.slice(token.indexOf(".") + 1);
}

/** The key builder for one namespace (prefix + type). Built once per namespace and cached by the store. */
export class KeySpace {
  /** `P` + type, the start of every key. */
  readonly head: string;
  /** The registry of names. */
  readonly names: string;
  /** Key base of the tag index: its keys share the registry's cluster slot, so one script updates both. */
  readonly tags: string;

  /**
   * @param memo name → tag, shared by the store's key spaces and bounded by
   *   bytes (stat names repeat every flush); by default one of this space's own.
   */
  constructor(
    ns: Namespace,
    private readonly memo: NameCache<KeySpace, NameTag> = new NameCache(DEFAULT_NAME_CACHE_MB * 1024 * 1024),
  ) {
    const prefix = ns.prefix === "" || ns.prefix.endsWith(":") ? ns.prefix : `${ns.prefix}:`;
    this.head = `${prefix}${ns.type}:`;
    this.names = `${this.head}names`;
    // A prefix holding an empty `{}` before any other `}` makes Redis hash
    // whole keys, which would scatter one stat over many slots. A prefix
    // with a full `{tag}` of its own is fine: it pins the namespace to one slot.
    const probe = `${this.head}{00000000}:`;
    const tag = hashTagOf(probe);
    if (tag === probe) {
      throw new TorusError(ErrorCodes.BAD_OPTION, `prefix ${quote(ns.prefix)}: an empty "{}" hash tag would scatter a stat's keys over the cluster; remove it`, {
        field: "prefix",
        value: ns.prefix,
      });
    }
    this.tags = tagBase(this.head, this.names);
  }

  /** The name's hash (its tag) and its cluster slot, memoized. */
  tagOf(name: string): NameTag {
    let t = this.memo.get(this, name);
    if (!t) {
      const hash = nameHash(name);
      t = { hash, slot: slotOf(`${this.head}{${hash}}:`) };
      this.memo.set(this, name, t);
    }
    return t;
  }

  /** The part every key of `name` starts with, up to and including the hash tag. */
  base(name: string): string {
    return `${this.head}{${this.tagOf(name).hash}}:`;
  }

  /** Key of one chunk. */
  chunk(name: string, interval: string, start: number): string {
    return `${this.base(name)}b:${intervalToken(interval)}:${start}:${name}`;
  }

  /** Sorted set of a stat's chunk starts in one interval, scored by chunk end. */
  index(name: string, interval: string): string {
    return `${this.base(name)}i:${intervalToken(interval)}:${name}`;
  }

  /** Set of interval tokens a stat has buckets in. */
  intervals(name: string): string {
    return `${this.base(name)}v:${name}`;
  }
}

/**
 * A key base whose keys hash to the registry's slot. A prefix with a hash
 * tag of its own pins both already; otherwise the registry key is hashed
 * whole, and the first `{S}` (S = `t0`, `t1`, …) that lands in its slot is
 * taken: about 16,000 tries on average, once per namespace, and every
 * writer and reader finds the same one.
 */
export function tagBase(head: string, names: string): string {
  if (hashTagOf(names) !== names) return `${head}tags:`;
  const want = slotOf(names);
  for (let i = 0; ; i++) {
    const base = `${head}{t${i}}:tags:`;
    if (slotOf(base) === want) return base;
  }
}

/** Buckets per chunk, at most. */
const MAX_CHUNK = 64;

/**
 * Buckets per chunk for an interval: up to 64, but at most an eighth of the
 * retention, so a chunk kept alive by its newest bucket holds data past
 * `steps` by at most 1/8 of it (and `expire()` trims it exactly).
 * Derived from the interval's configuration alone, so every writer agrees.
 */
export function chunkSize(iv: Interval): number {
  return iv.steps === null ? MAX_CHUNK : Math.max(1, Math.min(MAX_CHUNK, Math.floor(iv.steps / 8)));
}

/** `[start, end)` of the chunk holding the bucket starting at `bucket` (the encoder inlines this on its hot path). */
export function chunkOf(iv: Interval, bucket: number, size = chunkSize(iv)): [number, number] {
  const first = Math.floor(iv.step.index(bucket) / size) * size;
  return [iv.step.start(first), iv.step.start(first + size)];
}

/**
 * Unix time (seconds) at which a chunk may go: its last bucket's end plus
 * `steps` nominal steps, the same rule as `expire()`. When that is already
 * past by the wall clock but the writer still staged the bucket (its clock
 * disagrees: a pinned test clock, a replay of old data), keep it `steps`
 * steps from now instead of deleting data just acknowledged. Null when the
 * interval keeps everything. The WRITE script applies this rule itself;
 * this is its reference, tested.
 */
export function expiryOf(iv: Interval, chunkEnd: number, wallNow: number): number | null {
  if (iv.steps === null) return null;
  const keep = iv.steps * iv.step.seconds;
  const at = chunkEnd + keep;
  return at > wallNow ? at : wallNow + keep;
}
