import type { SeriesResult } from "../timeseries/index.js";
import { all, one, type Params } from "./params.js";
import { missingParameter } from "./query-error.js";
import { readResolved, resolveStat, type ReadParams, type ResolveContext, type ResolvedStat } from "./resolve-stat.js";
import { jsonValueText, toJsonValue } from "./serialize.js";
import { waitForStore } from "./store-wait.js";
import { parseTime } from "./time-parse.js";

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

/**
 * `GET /series`: every `stat` resolved first (so a bad one fails the request
 * before any store is read), then read concurrently, then written out as
 * JSON text directly — a dashboard's 1,440 buckets are 1,440 `[v,ts]` pairs,
 * not 1,440 little arrays for JSON.stringify to walk.
 */
export async function seriesCommand(params: Params, ctx: ResolveContext): Promise<Buffer | string> {
  const stats = all(params, "stat").filter((s) => s !== "");
  if (stats.length === 0) throw missingParameter("stat", "e.g. /series?stat=avg(stats.timers.web.login.mean)");
  const shared = readParams(params);
  // Parsed once for every stat (a phrase goes through chrono, which is not free); macros may still override them.
  if (shared.start !== undefined && shared.start !== "") shared.start = parseTime(shared.start, "start", ctx.time);
  if (shared.end !== undefined && shared.end !== "") shared.end = parseTime(shared.end, "end", ctx.time);
  const resolved = stats.map((s) => resolveStat(s, shared, ctx));
  const ms = ctx.runtime.config.queryTimeoutMs;
  return ctx.cache ? ctx.cache.through(ctx.runtime, resolved, () => render(resolved, ms)) : render(resolved, ms);
}

/** Read every resolved stat (each store waited for at most `ms`, QUERY_TIMEOUT) and write the response text. */
async function render(resolved: readonly ResolvedStat[], ms: number): Promise<string> {
  const results = await Promise.all(resolved.map((r) => waitForStore(readResolved(r), r.schema, ms)));
  let out = "[";
  for (let i = 0; i < resolved.length; i++) {
    if (i > 0) out += ",";
    out += formatEntry(resolved[i], results[i]);
  }
  return out + "]";
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
