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

/** The distinct values of a tag in the prefix range, by the same loose scan. */
export function tagValues(scope: Scope, type: TypeName, tag: string, prefix: string, limit: number): string[] {
  const [low, high] = bounds(prefix);
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

/**
 * Names meeting every condition. Candidates come from the condition with
 * the fewest index rows (counted, capped: a count is a short index range);
 * each is checked against the others by its own rows (the `(name_id, tag,
 * value)` index) and for data, then named.
 */
export function findTagged(scope: Scope, type: TypeName, conditions: readonly TagCondition[]): string[] {
  if (conditions.length === 0 || conditions.some((c) => c.values.length === 0)) return [];
  const values = conditions.map((c) => JSON.stringify([...new Set(c.values)]));
  const size = scope.stmt("tags:size", () =>
    `SELECT COUNT(*) FROM (SELECT 1 FROM ${scope.table("tags")} WHERE tag = ? AND value IN (SELECT value FROM json_each(?)) LIMIT 1000000)`,
  ).pluck();
  const order = conditions.map((c, i) => ({ i, n: conditions.length === 1 ? 0 : (size.get(c.tag, values[i]) as number) })).sort((a, b) => a.n - b.n);
  if (order[0].n === 0 && conditions.length > 1) return [];
  const others = order.slice(1);
  const stmt = scope.stmt(`tags:find:${type}:${others.length}`, () => {
    const checks = others.map(
      () => `AND EXISTS (SELECT 1 FROM ${scope.table("tags")} o WHERE o.name_id = t.name_id AND o.tag = ? AND o.value IN (SELECT value FROM json_each(?)))`,
    );
    return `SELECT n.name FROM ${scope.table("tags")} t JOIN ${scope.table("names")} n ON n.id = t.name_id
      WHERE t.tag = ? AND t.value IN (SELECT value FROM json_each(?)) ${checks.join(" ")} AND ${live(scope, type)}`;
  }).pluck();
  const args: unknown[] = [conditions[order[0].i].tag, values[order[0].i]];
  for (const o of others) args.push(conditions[o.i].tag, values[o.i]);
  return [...new Set(stmt.all(...args) as string[])].sort(compareCodePoints);
}
