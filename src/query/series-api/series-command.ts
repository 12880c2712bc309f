import type { SeriesResult } from "../../timeseries/index.js";
import { all, one, type Params } from "../http/params.js";
import { QueryError, QueryErrorCodes, missingParameter } from "../query-error.js";
import type { SeriesCache } from "../cache/series-cache.js";
import { RequestBudget, readResolved, resolveStat, type ReadParams, type ResolveContext, type ResolvedStat } from "../resolve/resolve-stat.js";
import { jsonValueText, toJsonValue } from "../http/serialize.js";
import { waitForStore } from "../resolve/store-wait.js";
import { parseTime } from "../../time/time-parse.js";

/** The request-wide read parameters of `/series`. */
export function readParams(params: Params): ReadParams {
  return {
    format: one(params, "format"),
    condense: one(params, "condense"),
    collapse: one(params, "collapse"),
    schema: one(params, "schema"),
    interval: one(params, "interval"),
    start: one(params, "start"),
    end: one(params, "end"),
    steps: one(params, "steps"),
  };
}

/** What `/series` reads with: the resolve step's context and the response cache. */
export interface SeriesContext extends ResolveContext {
  /** `/series` responses by resolved request; none: every request reads the stores. */
  readonly cache?: SeriesCache | null;
}

/**
 * `GET /series`: every `stat` resolved first (so a bad one fails the request
 * before any store is read), then read concurrently, then written out as
 * JSON text directly — a dashboard's 1,440 buckets are 1,440 `[v,ts]` pairs,
 * not 1,440 little arrays for JSON.stringify to walk.
 */
export async function seriesCommand(params: Params, ctx: SeriesContext): Promise<Buffer | string> {
  const stats = all(params, "stat").filter((s) => s !== "");
  if (stats.length === 0) throw missingParameter("stat", "e.g. /series?stat=avg(stats.timers.web.login.mean)");
  const shared = readParams(params);
  // Parsed once for every stat (a phrase goes through chrono, which is not free); macros may still override them.
  if (shared.start !== undefined && shared.start !== "") shared.start = parseTime(shared.start, "start", ctx.time);
  if (shared.end !== undefined && shared.end !== "") shared.end = parseTime(shared.end, "end", ctx.time);
  const budget = ctx.budget ?? RequestBudget.of(ctx.runtime);
  const resolved = stats.map((s) => resolveStat(s, shared, { ...ctx, budget }));
  const maxBytes = ctx.runtime.config.maxResponseBytes;
  checkResponseBound(minimumBytes(resolved), maxBytes, "at least ");
  const ms = ctx.runtime.config.queryTimeoutMs;
  return ctx.cache ? ctx.cache.through(ctx.runtime, resolved, () => render(resolved, maxBytes, ms)) : render(resolved, maxBytes, ms);
}

function checkResponseBound(bytes: number, maxBytes: number, atLeast = ""): void {
  if (bytes <= maxBytes) return;
  const mb = (n: number) => `${Number((n / 1024 / 1024).toPrecision(3))} MB`;
  throw new QueryError(
    400,
    QueryErrorCodes.RESPONSE_TOO_LARGE,
    `this response would be ${atLeast}${mb(bytes)}, more than the configured maximum of ${mb(maxBytes)} (MAX_RESPONSE_MB); ask for fewer stats, fewer steps, collapse or a coarser interval`,
  );
}

/**
 * The smallest text the resolved request can answer with: each bucket is at
 * least `[null,TS],` (graphite) or `"TS":null,` (json), one bucket when
 * collapsed. Checked before any store is read, so an answer that cannot fit
 * MAX_RESPONSE_MB costs nothing.
 */
export function minimumBytes(resolved: readonly ResolvedStat[]): number {
  let bytes = 2;
  for (const r of resolved) {
    // The fixed fields with null function, schema and interval, then stat, stat_name and target.
    bytes += 97 + r.stat.length + 2 * r.names.join(",").length;
    const n = r.read.collapse ? Math.min(1, r.buckets.length) : r.buckets.length;
    if (n > 0) bytes += n * (7 + Math.min(String(r.buckets[0]).length, String(r.buckets[r.buckets.length - 1]).length)) + n - 1;
  }
  return bytes;
}

/**
 * Read every resolved stat and write the response text, refusing it once it
 * passes MAX_RESPONSE_MB (checked after each entry: a 400, never a 36 MB
 * answer). Text length counts UTF-16 units, at most the UTF-8 bytes; the
 * final count is exact. Each store is waited for at most `ms` (QUERY_TIMEOUT).
 */
async function render(resolved: readonly ResolvedStat[], maxBytes: number, ms: number): Promise<string> {
  const results = await Promise.all(resolved.map((r) => waitForStore(readResolved(r), r.schema, ms)));
  let out = "[";
  for (let i = 0; i < resolved.length; i++) {
    if (i > 0) out += ",";
    out += formatEntry(resolved[i], results[i]);
    if (out.length > maxBytes) checkResponseBound(out.length, maxBytes, i + 1 < resolved.length ? "more than " : "");
  }
  out += "]";
  checkResponseBound(Buffer.byteLength(out), maxBytes);
  return out;
}

/** One result object: the seed's fields, then the datapoints in the requested shape. */
export function formatEntry(r: ResolvedStat, data: SeriesResult): string {
  const name = r.names.join(",");
  const nameText = JSON.stringify(name);
  let out =
    `{"stat":${JSON.stringify(r.stat)},"stat_name":${nameText},"target":${nameText},` +
    `"function":${r.functionLabel === null ? "null" : JSON.stringify(r.functionLabel)},` +
    `"schema":${r.schema ? JSON.stringify(r.schema.compiled.name) : "null"},` +
    `"interval":${r.interval ? JSON.stringify(r.interval.name) : "null"},"datapoints":`;
  if (r.format === "graphite") {
    out += "[";
    let first = true;
    for (const [ts, v] of data) {
      out += first ? `[${jsonValueText(v)},${ts}]` : `,[${jsonValueText(v)},${ts}]`;
      first = false;
    }
    return out + "]}";
  }
  const points: Record<string, unknown> = {};
  for (const [ts, v] of data) points[ts] = toJsonValue(v);
  return out + JSON.stringify(points) + "}";
}
