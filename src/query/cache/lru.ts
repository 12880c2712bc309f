/**
 * A least-recently-used map bounded by entry count and by total size (each
 * entry says its own). A Map keeps insertion order, so re-inserting on a hit
 * makes the first key the least recently used: no linked list needed.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private total = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxSize: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Sum of the sizes of the entries held. */
  get bytes(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Insert or replace; an entry larger than the whole budget is not kept. Evicts from the cold end. */
  set(key: K, value: V, size: number): void {
    this.delete(key);
    if (this.maxEntries <= 0 || size > this.maxSize) return;
    this.map.set(key, { value, size });
    this.total += size;
    while (this.map.size > this.maxEntries || this.total > this.maxSize) {
      const [oldest, e] = this.map.entries().next().value!;
      this.map.delete(oldest);
      this.total -= e.size;
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.total -= e.size;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  /** Keys, least recently used first. */
  keys(): K[] {
    return [...this.map.keys()];
  }
}
