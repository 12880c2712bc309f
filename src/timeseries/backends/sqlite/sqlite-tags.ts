/**
 * Reads of one prefix's stored tag index (the `tags` table, see
 * sqlite-schema.ts) for one type: only names with data of that type count,
 * as in `list`, so names deleted or expired drop out while their rows stay
 * (name rows are never deleted either: other processes cache their ids).
 */
import type { TagCondition, TagValueCount, TypeName } from "../../store.js";
import { compareCodePoints, prefixRange } from "../../tag-pairs.js";
import type { Scope } from "./sqlite-scope.js";

/** A prefix as `[low, high)`, high null when unbounded. */
function bounds(prefix: string): [string, string | null] {
  const { low, high } = prefixRange(prefix);
  return [low, high];
}

/** A row of `tags` whose name has data of the type, given the alias `t`. */
const live = (scope: Scope, type: TypeName) => `EXISTS (SELECT 1 FROM ${scope.table(`${type}_keys`)} k WHERE k.name_id = t.name_id)`;

/**
 * The distinct tags in the prefix range, walked one seek at a time down the
 * primary key (a loose index scan): a handful of tags over a million rows
 * costs a few seeks each, not a pass over every row.
 */
export function tagKeys(scope: Scope, type: TypeName, prefix: string, limit: number): string[] {
  const [low, high] = bounds(prefix);
  const first = scope.stmt("tags:firstTag", () => `SELECT tag FROM ${scope.table("tags")} WHERE tag >= ? ORDER BY tag LIMIT 1`).pluck();
  const next = scope.stmt("tags:nextTag", () => `SELECT tag FROM ${scope.table("tags")} WHERE tag > ? ORDER BY tag LIMIT 1`).pluck();
  const alive = scope.stmt(`tags:liveTag:${type}`, () => `SELECT 1 FROM ${scope.table("tags")} t WHERE t.tag = ? AND ${live(scope, type)} LIMIT 1`).pluck();
  const out: string[] = [];
  let tag = first.get(low) as string | undefined;
  while (tag !== undefined && (high === null || tag < high) && out.length < limit) {
    if (alive.get(tag) !== undefined) out.push(tag);
    tag = next.get(tag) as string | undefined;
  }
  return out;
}

/**
 * The distinct values of a tag in the prefix range: by the same loose scan
 * for a page (autocomplete's 100), in one statement for all of them (a
 * regex's candidates: 10,000 hosts would be 20,000 statements).
 */
export function tagValues(scope: Scope, type: TypeName, tag: string, prefix: string, limit: number): string[] {
  const [low, high] = bounds(prefix);
  if (limit > 1000) {
    const every = scope.stmt(`tags:values:${type}`, () =>
      `SELECT v.value FROM (SELECT DISTINCT value FROM ${scope.table("tags")} WHERE tag = @tag AND value >= @low AND (@high IS NULL OR value < @high)) v
       WHERE EXISTS (SELECT 1 FROM ${scope.table("tags")} t WHERE t.tag = @tag AND t.value = v.value AND ${live(scope, type)}) ORDER BY v.value LIMIT @limit`,
    ).pluck();
    return every.all({ tag, low, high, limit: Number.isFinite(limit) ? limit : -1 }) as string[];
  }
  const first = scope.stmt("tags:firstValue", () => `SELECT value FROM ${scope.table("tags")} WHERE tag = ? AND value >= ? ORDER BY value LIMIT 1`).pluck();
  const next = scope.stmt("tags:nextValue", () => `SELECT value FROM ${scope.table("tags")} WHERE tag = ? AND value > ? ORDER BY value LIMIT 1`).pluck();
  const alive = scope.stmt(`tags:liveValue:${type}`, () => `SELECT 1 FROM ${scope.table("tags")} t WHERE t.tag = ? AND t.value = ? AND ${live(scope, type)} LIMIT 1`).pluck();
  const out: string[] = [];
  let value = first.get(tag, low) as string | undefined;
  while (value !== undefined && (high === null || value < high) && out.length < limit) {
    if (alive.get(tag, value) !== undefined) out.push(value);
    value = next.get(tag, value) as string | undefined;
  }
  return out;
}

/** Values with their series counts: one grouped pass in key order, stopping after `limit` values. */
export function tagCounts(scope: Scope, type: TypeName, tag: string, prefix: string, limit: number): TagValueCount[] {
  const [low, high] = bounds(prefix);
  const stmt = scope.stmt(`tags:counts:${type}`, () =>
    `SELECT value, COUNT(*) FROM ${scope.table("tags")} t WHERE t.tag = @tag AND t.value >= @low AND (@high IS NULL OR t.value < @high) AND ${live(scope, type)}
     GROUP BY t.value ORDER BY t.value LIMIT @limit`,
  ).raw(true);
  return (stmt.all({ tag, low, high, limit: Number.isFinite(limit) ? limit : -1 }) as Array<[string, number]>).map(([value, count]) => ({ value, count }));
}

/** Below this many candidates per row of the next condition, candidates are looked up by key instead of intersected. */
const PROBE_RATIO = 1 / 20;

/**
 * Names meeting every condition. The conditions are taken smallest first
 * (index rows counted, capped: a count is a short index range). The first
 * gives candidate ids; each next one is intersected with them in memory
 * (its ids read in one index range) or, when it holds far more rows than
 * there are candidates, checked per candidate by seeks on the `(tag, value,
 * name_id)` key. The survivors with data are then named: 1,000 of 100,000
 * names found through two 10,000-row conditions is a few milliseconds.
 */
export function findTagged(scope: Scope, type: TypeName, conditions: readonly TagCondition[]): string[] {
  if (conditions.length === 0 || conditions.some((c) => c.values.length === 0)) return [];
  const tags = scope.table("tags");
  const values = conditions.map((c) => JSON.stringify([...new Set(c.values)]));
  const size = scope.stmt("tags:size", () => `SELECT COUNT(*) FROM (SELECT 1 FROM ${tags} WHERE tag = ? AND value IN (SELECT value FROM json_each(?)) LIMIT 1000000)`).pluck();
  const idsOf = scope.stmt("tags:ids", () => `SELECT name_id FROM ${tags} WHERE tag = ? AND value IN (SELECT value FROM json_each(?))`).pluck();
  const probe = scope.stmt("tags:probe", () =>
    `SELECT name_id FROM ${tags} WHERE tag = ? AND value IN (SELECT value FROM json_each(?)) AND name_id IN (SELECT value FROM json_each(?))`,
  ).pluck();
  const order = conditions.map((c, i) => ({ i, n: conditions.length === 1 ? 0 : (size.get(c.tag, values[i]) as number) })).sort((a, b) => a.n - b.n);
  let ids = new Set(idsOf.all(conditions[order[0].i].tag, values[order[0].i]) as number[]);
  for (const { i, n } of order.slice(1)) {
    if (ids.size === 0) return [];
    const hits = ids.size < n * PROBE_RATIO ? (probe.all(conditions[i].tag, values[i], JSON.stringify([...ids])) as number[]) : (idsOf.all(conditions[i].tag, values[i]) as number[]);
    const next = new Set<number>();
    for (const id of hits) if (ids.has(id)) next.add(id);
    ids = next;
  }
  if (ids.size === 0) return [];
  const named = scope.stmt(`tags:named:${type}`, () =>
    `SELECT n.name FROM ${scope.table("names")} n WHERE n.id IN (SELECT value FROM json_each(?))
     AND EXISTS (SELECT 1 FROM ${scope.table(`${type}_keys`)} k WHERE k.name_id = n.id)`,
  ).pluck();
  return (named.all(JSON.stringify([...ids])) as string[]).sort(compareCodePoints);
}
