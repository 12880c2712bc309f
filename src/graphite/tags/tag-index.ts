/**
 * An in-memory tag index over canonical tagged names: tag → value → names,
 * for `seriesByTag` and the tag endpoints. Names come in groups (one per
 * store listing) so a listing can be replaced or dropped whole; a name held
 * by several groups stays until the last one lets it go.
 *
 * @module
 */
import type { TagQuery } from "./tag-expression.js";
import { compareCodePoints, tagsOfCanonical } from "./tagged-name.js";

export class TagIndex {
  /** tag → value → names. */
  private readonly postings = new Map<string, Map<string, Set<string>>>();
  /** name → the groups holding it. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly groups = new Map<string, Set<string>>();

  /** Tagged names indexed (each once, whatever the groups). */
  get size(): number {
    return this.holders.size;
  }

  /** Add names to a group; untagged names (no `;`) are ignored. Returns how many were new to the index. */
  add(names: Iterable<string>, group: string): number {
    let members = this.groups.get(group);
    if (members === undefined) this.groups.set(group, (members = new Set()));
    let added = 0;
    for (const name of names) {
      if (name.indexOf(";") < 0 || members.has(name)) continue;
      members.add(name);
      const held = this.holders.get(name);
      if (held !== undefined) {
        held.add(group);
        continue;
      }
      this.holders.set(name, new Set([group]));
      for (const [tag, value] of Object.entries(tagsOfCanonical(name))) {
        let values = this.postings.get(tag);
        if (values === undefined) this.postings.set(tag, (values = new Map()));
        let set = values.get(value);
        if (set === undefined) values.set(value, (set = new Set()));
        set.add(name);
      }
      added++;
    }
    return added;
  }

  /** The group's names become exactly `names` (a full listing, which also drops deleted names). */
  replace(group: string, names: Iterable<string>): void {
    const next = new Set<string>();
    for (const n of names) if (n.indexOf(";") >= 0) next.add(n);
    const old = this.groups.get(group);
    if (old !== undefined) for (const n of old) if (!next.has(n)) this.release(n, group);
    this.groups.set(group, old ?? new Set());
    this.add(next, group);
  }

  /** Forget a group (a schema gone from the configuration). */
  drop(group: string): void {
    const old = this.groups.get(group);
    if (old === undefined) return;
    for (const n of old) this.release(n, group);
    this.groups.delete(group);
  }

  /** Drop a name from every group (it was deleted); the next listing that holds it brings it back. */
  forget(name: string): void {
    const held = this.holders.get(name);
    if (held === undefined) return;
    for (const group of [...held]) this.release(name, group);
  }

  private release(name: string, group: string): void {
    this.groups.get(group)?.delete(name);
    const held = this.holders.get(name);
    if (held === undefined) return;
    held.delete(group);
    if (held.size > 0) return;
    this.holders.delete(name);
    for (const [tag, value] of Object.entries(tagsOfCanonical(name))) {
      const values = this.postings.get(tag);
      const set = values?.get(value);
      if (!values || !set) continue;
      set.delete(name);
      if (set.size === 0) values.delete(value);
      if (values.size === 0) this.postings.delete(tag);
    }
  }

  /**
   * The names matching a query, sorted. Candidates come from the narrowest
   * expression that requires a value (an exact value's names, or the union of
   * the values a regex accepts); each is then checked against every expression.
   */
  find(query: TagQuery): string[] {
    let best: Iterable<string> | null = null;
    let bestSize = Infinity;
    for (const e of query.expressions) {
      if (e.matchesEmpty) continue;
      const values = this.postings.get(e.tag);
      if (values === undefined) return [];
      if (e.operator === "=") {
        const set = values.get(e.spec);
        if (set === undefined) return [];
        if (set.size < bestSize) [best, bestSize] = [set, set.size];
        continue;
      }
      // A regex or `!=`: every name carrying the tag with an accepted value.
      const union: string[] = [];
      for (const [value, set] of values) if (e.test(value)) for (const n of set) union.push(n);
      if (union.length < bestSize) [best, bestSize] = [union, union.length];
    }
    const out: string[] = [];
    if (best === null) return out;
    for (const name of best) if (query.matches(tagsOfCanonical(name))) out.push(name);
    return out.sort(compareCodePoints);
  }

  /** Every tag key, sorted. */
  tags(): string[] {
    return [...this.postings.keys()].sort(compareCodePoints);
  }

  /** A tag's values with how many series carry each, sorted by value; null for an unknown tag. */
  values(tag: string): Array<{ value: string; count: number }> | null {
    const values = this.postings.get(tag);
    if (values === undefined) return null;
    return [...values].map(([value, set]) => ({ value, count: set.size })).sort((a, b) => compareCodePoints(a.value, b.value));
  }
}
