import type { Runtime } from "../../runtime/runtime.js";
import { quote } from "../../timeseries/errors.js";
import { one, type Params } from "../http/params.js";
import { QueryError, QueryErrorCodes, badParameter } from "../query-error.js";
import { pickSchema } from "../resolve/resolve-stat.js";
import { waitForStore } from "../resolve/store-wait.js";

/** A page of `/list`: what a paging client gets, and anyone once the names outgrow LIST_LIMIT. */
export interface ListPage {
  names: string[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

/** A page also ends before its names pass this many bytes: 10,000 names of 4 KB would otherwise be a 40 MB answer. */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * `GET /list[?schema=S][&prefix=P][&limit=N][&after=NAME]`: sorted stat
 * names of one schema, or of every schema (each name once), those starting
 * with `prefix`, after the name `after`. Without `limit` or `after` the
 * answer is the plain array as long as it is complete; a paging request,
 * or one whose names outgrow LIST_LIMIT (or LIST_PAGE_BYTES), gets
 * `{"names": [...], "next"}`.
 */
export async function listCommand(params: Params, runtime: Runtime): Promise<string[] | ListPage> {
  const max = runtime.config.listLimit;
  const limitText = one(params, "limit");
  const after = one(params, "after") ?? "";
  const prefix = one(params, "prefix") ?? "";
  const limit = limitText === undefined || limitText === "" ? max : parseLimit(limitText, max);
  const paged = (limitText !== undefined && limitText !== "") || after !== "";
  const names = await allNames(params, runtime);
  // Names are sorted: skip to the first after `after` and past the prefix's start by binary search.
  let i = lowerBound(names, after > prefix ? after : prefix);
  if (i < names.length && names[i] === after) i++;
  const page: string[] = [];
  let bytes = 0;
  for (; i < names.length && page.length < limit && names[i].startsWith(prefix); i++) {
    bytes += names[i].length + 3; // the quotes and the comma (escapes and UTF-8 aside: a bound, not an exact size)
    if (bytes > LIST_PAGE_BYTES && page.length > 0) break;
    page.push(names[i]);
  }
  const more = i < names.length && names[i].startsWith(prefix);
  if (!paged && !more) return page;
  return { names: page, next: more ? page[page.length - 1] : null };
}

function parseLimit(text: string, max: number): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw badParameter("limit", `expected a positive whole number, got ${quote(text)}`);
  if (n > max) throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `limit: ${n} names is more than the configured maximum of ${max} (LIST_LIMIT)`, "limit");
  return n;
}

/** Index of the first name not below `key` (`names` sorted by code unit, as Array.prototype.sort leaves them). */
function lowerBound(names: readonly string[], key: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function allNames(params: Params, runtime: Runtime): Promise<string[]> {
  const ms = runtime.config.queryTimeoutMs;
  const forced = one(params, "schema");
  if (forced !== undefined && forced !== "") {
    const s = pickSchema(runtime, [""], forced) as NonNullable<ReturnType<typeof pickSchema>>;
    return [...(await waitForStore(s.series.list(), s, ms))].sort();
  }
  // Schemas sharing a store and prefix answer the same list; ask each (store, namespace) once, all at once.
  const asked = new Set<string>();
  const lists: Array<Promise<string[]>> = [];
  for (const s of runtime.schemas) {
    // A relay keeps no names: listing everything leaves it out (naming it with schema= is a 400).
    if (s.store.relayStats) continue;
    const key = `${s.store.url}\u0000${s.series.ns.prefix}\u0000${s.series.ns.type}`;
    if (asked.has(key)) continue;
    asked.add(key);
    lists.push(waitForStore(s.series.list(), s, ms));
  }
  const names = new Set<string>();
  for (const list of await Promise.all(lists)) for (const n of list) names.add(n);
  return [...names].sort();
}
