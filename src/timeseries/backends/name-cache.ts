import { ErrorCodes, TorusError, quote } from "../errors.js";
import { flatString } from "../flat-string.js";

/** Default bound of a store's name-id cache, in MiB (`client_config.name_cache_mb`). */
export const DEFAULT_NAME_CACHE_MB = 64;

/** Characters V8 cannot keep at one byte each. */
const TWO_BYTE = /[\u0100-\uffff]/;

/**
 * What one entry costs, estimated from bench/name-memory.ts: the copied
 * name (one byte per character when it is all Latin-1, two otherwise), its
 * string headers and its slot in a hash table, with some margin.
 * Measured: 159 bytes for a 60-character name, 4,102 for a 4,000-character one.
 */
export function entryBytes(name: string): number {
  return (TWO_BYTE.test(name) ? 2 * name.length : name.length) + 128;
}

type Generation<S, V> = Map<S, Map<string, V>>;

/**
 * Ids of interned names, per scope (a prefix), for one store: bounded by an
 * estimate of the bytes held, least recently used names dropped first.
 *
 * Two generations, as quick-lru keeps them: names go into the young one; once
 * it holds half the budget it becomes the old one and the previous old one
 * is dropped whole. A name found in the old generation moves back to the
 * young one. A hit costs one map lookup, not the unlink and relink of an
 * exact LRU, and at most the budget is held. A name dropped is simply looked
 * up (or interned) again: ids of stored names never change.
 */
export class NameCache<S = string, V = number> {
  private young: Generation<S, V> = new Map();
  private old: Generation<S, V> = new Map();
  private youngBytes = 0;
  private oldBytes = 0;
  /** Bytes one generation may hold. */
  private readonly half: number;

  constructor(readonly maxBytes: number) {
    this.half = Math.max(0, maxBytes / 2);
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  /** Names held, over every scope. */
  get size(): number {
    let n = 0;
    for (const gen of [this.young, this.old]) for (const m of gen.values()) n += m.size;
    return n;
  }

  get(scope: S, name: string): V | undefined {
    const hit = this.young.get(scope)?.get(name);
    if (hit !== undefined) return hit;
    const inOld = this.old.get(scope);
    const id = inOld?.get(name);
    if (id === undefined) return undefined;
    inOld!.delete(name);
    this.oldBytes -= entryBytes(name);
    this.add(scope, name, id);
    return id;
  }

  /**
   * Remember an id; the name is copied flat, so the cache never holds the
   * string it was cut from. `owned`: the caller vouches that `name` is a
   * string of its own (a driver's result row, not cut from anything), kept
   * as it is: a copy would cost another header and the string's bytes.
   */
  set(scope: S, name: string, id: V, owned = false): void {
    if (this.young.get(scope)?.has(name)) return;
    const inOld = this.old.get(scope);
    if (inOld?.delete(name)) this.oldBytes -= entryBytes(name);
    this.add(scope, owned ? name : flatString(name), id);
  }

  private add(scope: S, name: string, id: V): void {
    const cost = entryBytes(name);
    if (cost > this.half) return;
    if (this.youngBytes + cost > this.half) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
    let m = this.young.get(scope);
    if (!m) this.young.set(scope, (m = new Map()));
    m.set(name, id);
    this.youngBytes += cost;
  }

  /** Drop every name of a scope (its tables were dropped). */
  forget(scope: S): void {
    for (const [gen, which] of [[this.young, "young"], [this.old, "old"]] as const) {
      const m = gen.get(scope);
      if (!m) continue;
      let bytes = 0;
      for (const name of m.keys()) bytes += entryBytes(name);
      if (which === "young") this.youngBytes -= bytes;
      else this.oldBytes -= bytes;
      gen.delete(scope);
    }
  }
}

/**
 * `client_config.name_cache_mb` as bytes: a number of MiB ≥ 0 (0 keeps no
 * names), else the default. `url` (password removed) names the store in the
 * message: the setting is per store.
 */
export function nameCacheBytes(clientConfig: Record<string, unknown>, url?: string): number {
  const v = clientConfig.name_cache_mb;
  if (v === undefined) return DEFAULT_NAME_CACHE_MB * 1024 * 1024;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    const field = "client_config.name_cache_mb";
    throw new TorusError(ErrorCodes.BAD_OPTION, `${url ? `${url}: ` : ""}${field}: expected a number of MiB (0 or more), got ${quote(v)}`, { field, value: v });
  }
  return Math.round(v * 1024 * 1024);
}
