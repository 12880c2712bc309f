/**
 * Stat names by their bytes: a line's name is hashed where it lies in the
 * received chunk and looked up as a small integer id, so a name seen before
 * costs no string, no UTF-8 check and no Map lookup by string. Only a new
 * name is decoded (and checked), once.
 *
 * Open addressing over an `Int32Array` of slots, the names' bytes in one
 * arena. The hash is seeded per table, so which names collide cannot be
 * known in advance; and a lookup gives up after {@link MAX_PROBES} slots, so
 * even names made to collide cost a bounded walk (they then take the string
 * path, see {@link NameTable.insert}).
 *
 * Bounded: past `maxBytes` (arena, index and the decoded strings together)
 * it takes no new names until {@link NameTable.reset}, which its owner calls
 * only between two batches (a flush), so an id never changes meaning while
 * a batch is being built.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { chunkView, viewOf } from "./chunk-view.js";

/** Slots walked before a lookup or insert gives up: names made to collide cannot cost more. */
export const MAX_PROBES = 32;
/** The default memory bound: about 300,000 names of 60 bytes. */
export const DEFAULT_NAME_TABLE_BYTES = 64 * 2 ** 20;
/** What one name costs beyond its bytes (twice: arena and string): index slots, per-id columns, the string's header. */
const PER_NAME_OVERHEAD = 48;

export interface NameTableOptions {
  /** Memory bound in bytes (default {@link DEFAULT_NAME_TABLE_BYTES}). */
  maxBytes?: number;
  /** Initial number of slots, a power of two (default 4096; grows by doubling at half full). Tests force a tiny one. */
  slots?: number;
  /** The hash seed (default: random per table). Tests pin it. */
  seed?: number;
  /** Replaces the hash (tests force collisions with it). */
  hash?: (buf: Uint8Array, start: number, end: number, seed: number) => number;
}

/**
 * A seeded 32-bit hash of `buf[start..end)`: murmur3's mixing over 4-byte
 * words.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number, seed: number): number {
  return hashView(viewOf(buf), start, end, seed);
}

/**
 * {@link hashBytes} over a view of the buffer: one unaligned little-endian
 * load per word (the name is rarely aligned in its chunk), a quarter of the
 * loads and bounds checks of reading it byte by byte.
 */
export function hashView(view: DataView, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let i = start;
  const stop = end - 4;
  for (; i <= stop; i += 4) {
    let k = view.getInt32(i, true);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = view.getUint8(i);
    if (rest > 1) k ^= view.getUint8(i + 1) << 8;
    if (rest > 2) k ^= view.getUint8(i + 2) << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class NameTable {
  /** The decoded name of each id. */
  readonly names: string[] = [];
  readonly #maxBytes: number;
  readonly #seed: number;
  /** A test's hash (see {@link NameTableOptions.hash}); null for {@link hashView}. */
  readonly #hash: ((buf: Uint8Array, start: number, end: number, seed: number) => number) | null;
  /** id + 1 per slot; 0 is empty. */
  #slots: Int32Array;
  #mask: number;
  /** Per id: its hash, and where its bytes are in the arena. */
  #hashes: Int32Array;
  #offsets: Int32Array;
  #lengths: Int32Array;
  #arena: Uint8Array;
  #arenaView: DataView;
  #arenaUsed = 0;
  #bytes = 0;
  #full = false;

  constructor(options: NameTableOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_NAME_TABLE_BYTES;
    this.#seed = options.seed ?? randomInt(2 ** 31);
    this.#hash = options.hash ?? null;
    const slots = options.slots ?? 4096;
    if (!(slots >= 2 && (slots & (slots - 1)) === 0)) throw new RangeError(`slots must be a power of two >= 2, got ${slots}`);
    this.#slots = new Int32Array(slots);
    this.#mask = slots - 1;
    this.#hashes = new Int32Array(slots / 2);
    this.#offsets = new Int32Array(slots / 2);
    this.#lengths = new Int32Array(slots / 2);
    this.#arena = new Uint8Array(Math.min(1 << 16, this.#maxBytes));
    this.#arenaView = viewOf(this.#arena);
  }

  /** Names held. */
  get size(): number {
    return this.names.length;
  }

  /** About how much memory the names take, in bytes (what `maxBytes` bounds). */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once a name was turned away for want of room: the owner should {@link reset} at its next flush. */
  get full(): boolean {
    return this.#full;
  }

  /** The hash of `buf[start..end)` as this table computes it (seeded). */
  hash(buf: Uint8Array, start: number, end: number): number {
    if (this.#hash !== null) return this.#hash(buf, start, end, this.#seed);
    return hashView(chunkView(buf), start, end, this.#seed);
  }

  /** The id of the name in `buf[start..end)` whose hash is `h`, or -1 when it is not held (or sits past the probe bound). */
  lookup(buf: Uint8Array, start: number, end: number, h: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const len = end - start;
    let s = h & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const v = slots[s];
      if (v === 0) return -1;
      const id = v - 1;
      if (this.#hashes[id] === h && this.#lengths[id] === len && this.#same(id, chunkView(buf), start, len)) return id;
      s = (s + 1) & mask;
    }
    return -1;
  }

  /**
   * Hold a new name (not already held: {@link lookup} said -1) whose
   * decoded, checked form is `name`. Returns its id, or -1 when the table
   * is at its memory bound or the name's slot run is longer than the probe
   * bound: the caller then uses the name as a string, as before there were
   * ids.
   */
  insert(buf: Uint8Array, start: number, end: number, h: number, name: string): number {
    const len = end - start;
    const cost = 2 * len + PER_NAME_OVERHEAD;
    if (this.#bytes + cost > this.#maxBytes) {
      this.#full = true;
      return -1;
    }
    if ((this.names.length + 1) * 2 > this.#slots.length) this.#grow();
    const slot = this.#freeSlot(h);
    if (slot < 0) return -1;
    const id = this.names.length;
    if (this.#arenaUsed + len > this.#arena.length) {
      const grown = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaUsed + len));
      grown.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = grown;
      this.#arenaView = viewOf(grown);
    }
    this.#arena.set(buf.subarray(start, end), this.#arenaUsed);
    this.#hashes[id] = h;
    this.#offsets[id] = this.#arenaUsed;
    this.#lengths[id] = len;
    this.#arenaUsed += len;
    this.#bytes += cost;
    this.names.push(name);
    this.#slots[slot] = id + 1;
    return id;
  }

  /**
   * Forget every name (ids start again from 0). Only between batches: see
   * the module comment. The slots and columns keep their size: a table
   * that filled up once fills up again, and growing them anew by doubling
   * would leave each size before as garbage, outside the heap.
   */
  reset(): void {
    this.names.length = 0;
    this.#slots.fill(0);
    this.#arenaUsed = 0;
    this.#bytes = 0;
    this.#full = false;
  }

  /** Id `id`'s bytes against `len` bytes of `view` from `start`, a word at a time; the last word may overlap the one before. */
  #same(id: number, view: DataView, start: number, len: number): boolean {
    const arena = this.#arenaView;
    const at = this.#offsets[id];
    if (len < 4) {
      for (let k = 0; k < len; k++) if (arena.getUint8(at + k) !== view.getUint8(start + k)) return false;
      return true;
    }
    const last = len - 4;
    for (let k = 0; k < last; k += 4) if (arena.getInt32(at + k, true) !== view.getInt32(start + k, true)) return false;
    return arena.getInt32(at + last, true) === view.getInt32(start + last, true);
  }

  #freeSlot(h: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let s = h & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      if (slots[s] === 0) return s;
      s = (s + 1) & mask;
    }
    return -1;
  }

  /** Double the slots (kept at most half full) and the per-id columns. */
  #grow(): void {
    const size = this.#slots.length * 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < this.names.length; id++) {
      let s = this.#hashes[id] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
    const widen = (a: Int32Array) => {
      const out = new Int32Array(size / 2);
      out.set(a);
      return out;
    };
    this.#hashes = widen(this.#hashes);
    this.#offsets = widen(this.#offsets);
    this.#lengths = widen(this.#lengths);
  }
}
