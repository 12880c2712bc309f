/**
 * Where `seriesByTag` and the tag API look tags up: the in-memory tag index
 * of the name listings (microseconds, but only as fresh as the last listing
 * and empty until the first one is done), or the tag index every store
 * keeps beside its names (`Store.findTagged` and friends: a query or a
 * script per store namespace, current as of the last flush).
 *
 * The stored index is used when every store of the configuration keeps one
 * and the in-memory index is not caught up (`NameSource.caughtUp`): the
 * first listing is not done yet (a restart with a million names answers at
 * once), a store holds a name first stored after the last listing (a new
 * series is found by the next request, not the next listing), or a store
 * lists only in full (Redis, PostgreSQL, MySQL: their listings are paced).
 * Otherwise the in-memory index answers: it is faster.
 *
 * @module
 */
import type { TagExpression, TagQuery } from "../../graphite/tags/tag-expression.js";
import type { TagIndex } from "../../graphite/tags/tag-index.js";
import { compareCodePoints, tagsOfCanonical } from "../../graphite/tags/tagged-name.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { Namespace, Store, TagCondition } from "../../timeseries/index.js";
import type { NameSource } from "./graphite-data.js";

export interface TagSearch {
  /** Which index answers. */
  readonly source: "memory" | "store";
  /** Names matching the query, sorted. */
  find(query: TagQuery): Promise<string[]>;
  /** Tags starting with `prefix`, sorted, at most `limit`. */
  tags(prefix: string, limit: number): Promise<string[]>;
  /** Values of `tag` starting with `prefix`, sorted, at most `limit`. */
  values(tag: string, prefix: string, limit: number): Promise<string[]>;
  /** Every value of `tag` with its series count, sorted; null for a tag nobody carries. */
  counts(tag: string): Promise<Array<{ value: string; count: number }> | null>;
}

type IndexedStore = Store & Required<Pick<Store, "tagKeys" | "tagValues" | "tagCounts" | "findTagged">>;

export interface StoredGroup {
  readonly store: IndexedStore;
  readonly ns: Namespace;
}

function hasTagIndex(store: Store): store is IndexedStore {
  return typeof store.tagKeys === "function" && typeof store.tagValues === "function" && typeof store.tagCounts === "function" && typeof store.findTagged === "function";
}

/** One entry per store namespace the schemas read (schemas sharing one count once), or null when a store keeps no tag index. */
export function storedGroups(runtime: Runtime): StoredGroup[] | null {
  const out = new Map<string, StoredGroup>();
  for (const schema of runtime.schemas) {
    const { store } = schema;
    if (!hasTagIndex(store)) return null;
    const ns = schema.series.ns;
    out.set(`${store.url}\u0000${ns.prefix}\u0000${ns.type}`, { store, ns });
  }
  return [...out.values()];
}

/** The index to ask for this request. */
export async function tagSearch(deps: { runtime: () => Runtime; names: NameSource }): Promise<TagSearch> {
  const groups = storedGroups(deps.runtime());
  if (groups !== null && groups.length > 0 && deps.names.caughtUp && !(await deps.names.caughtUp())) return storedSearch(groups);
  await deps.names.ready();
  return memorySearch(deps.names.index().tagged);
}

export function memorySearch(idx: TagIndex): TagSearch {
  return {
    source: "memory",
    find: async (query) => idx.find(query),
    tags: async (prefix, limit) => idx.tags().filter((t) => t.startsWith(prefix)).slice(0, limit),
    values: async (tag, prefix, limit) => (idx.values(tag) ?? []).map((v) => v.value).filter((v) => v.startsWith(prefix)).slice(0, limit),
    counts: async (tag) => idx.values(tag),
  };
}

/** Sorted union of sorted lists, at most `limit`. */
function union(lists: readonly string[][], limit = Infinity): string[] {
  if (lists.length === 1) return lists[0].slice(0, limit);
  return [...new Set(lists.flat())].sort(compareCodePoints).slice(0, limit);
}

/**
 * The literal text every match of an anchored regex starts with
 * (`^(web0000)` → `web0000`), so a store lists only the values under it;
 * '' when unsure: an alternation, an inline flag, an optional group, or nothing literal.
 */
export function literalPrefix(spec: string): string {
  // An alternation, an inline flag, or a group that may be skipped (`(ab)*`, `(a.)?`): no prefix.
  if (spec.includes("|") || spec.includes("(?") || /\)[*?{]/.test(spec)) return "";
  let i = spec.startsWith("^") ? 1 : 0;
  while (spec[i] === "(") i++;
  let out = "";
  for (; i < spec.length; i++) {
    const c = spec[i];
    if ("\\.^$*+?()[]{}".includes(c)) {
      // A quantifier may drop the character before it.
      if ("*?{".includes(c)) out = out.slice(0, -1);
      break;
    }
    out += c;
  }
  return out;
}

/**
 * A store condition for an expression that requires a value: `=` is its
 * value; a regex or `!=` is every stored value it accepts (a regex's
 * listed from its literal prefix on).
 */
async function conditionOf(g: StoredGroup, e: TagExpression): Promise<TagCondition> {
  if (e.operator === "=") return { tag: e.tag, values: [e.spec] };
  const prefix = e.operator === "=~" ? literalPrefix(e.spec) : "";
  return { tag: e.tag, values: (await g.store.tagValues(g.ns, e.tag, prefix)).filter((v) => e.test(v)) };
}

export function storedSearch(groups: readonly StoredGroup[]): TagSearch {
  return {
    source: "store",
    async find(query) {
      const positive = query.expressions.filter((e) => !e.matchesEmpty);
      const found = await Promise.all(
        groups.map(async (g) => {
          const conditions = await Promise.all(positive.map((e) => conditionOf(g, e)));
          const names = await g.store.findTagged(g.ns, conditions);
          // Expressions a missing tag passes (`tag!=x`, `tag=`, …) are checked on each candidate's own tags.
          return positive.length === query.expressions.length ? names : names.filter((name) => query.matches(tagsOfCanonical(name)));
        }),
      );
      return union(found);
    },
    async tags(prefix, limit) {
      return union(await Promise.all(groups.map((g) => g.store.tagKeys(g.ns, prefix, limit))), limit);
    },
    async values(tag, prefix, limit) {
      return union(await Promise.all(groups.map((g) => g.store.tagValues(g.ns, tag, prefix, limit))), limit);
    },
    async counts(tag) {
      const all = await Promise.all(groups.map((g) => g.store.tagCounts(g.ns, tag)));
      // A series kept in two namespaces counts in each (the in-memory index counts it once).
      const sum = new Map<string, number>();
      for (const list of all) for (const { value, count } of list) sum.set(value, (sum.get(value) ?? 0) + count);
      if (sum.size === 0) return null;
      return [...sum].map(([value, count]) => ({ value, count })).sort((a, b) => compareCodePoints(a.value, b.value));
    },
  };
}
