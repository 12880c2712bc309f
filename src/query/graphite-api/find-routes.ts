import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { parseGraphiteTime, resolveTimeZone } from "../../graphite/graphite-time.js";
import type { FindResult } from "../../graphite/name-index.js";
import type { Runtime } from "../../runtime/runtime.js";
import { TorusError } from "../../timeseries/index.js";
import { QueryError, QueryErrorCodes, badParameter, missingParameter } from "../query-error.js";
import { basePath, completer, completerQuery, jsonNodes, nodeList, toNodes, treeJson } from "./find-format.js";
import type { GraphiteApiOptions } from "./graphite-data.js";
import { GraphiteParams } from "./graphite-params.js";

/** What these routes serve, for the 404 message. */
export const FIND_API_ROUTES = ["GET|POST /metrics/find", "GET /metrics?query=", "POST /metrics", "GET|POST /metrics/expand", "GET|POST /metrics/index.json"] as const;

/** Set on an answer FIND_LIMIT cut short: how many matches it was cut to. */
export const TRUNCATED_HEADER = "x-torus-truncated";

const FORMATS = new Set(["treejson", "completer", "json", "nodelist"]);
const JSONP = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/**
 * `GET /metrics` is the server's Prometheus metrics; graphite-web's
 * `/metrics?query=` is find. A route constraint tells them apart before
 * routing: requests whose query string has a `query` parameter go to the
 * find route, every other `GET /metrics` to the self-metrics.
 */
const FIND_CONSTRAINT = "graphiteFindQuery";

function hasQueryParam(url: string): boolean {
  const q = url.indexOf("?");
  return q !== -1 && /(?:^|&)query=/.test(url.slice(q + 1));
}

/** `/metrics/find` (and `/metrics`), `/metrics/expand`, `/metrics/index.json`. */
export const findRoutes: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  if (!app.hasConstraintStrategy(FIND_CONSTRAINT)) {
    app.addConstraintStrategy({
      name: FIND_CONSTRAINT,
      storage() {
        const handlers = new Map<string, unknown>();
        return { get: (k: string) => (handlers.get(k) ?? null) as never, set: (k: string, v: unknown) => void handlers.set(k, v) };
      },
      deriveConstraint: (req: { url?: string }) => (hasQueryParam(req.url ?? "") ? "yes" : undefined) as unknown as string,
      mustMatchWhenDerived: false,
    });
  }

  const search = async (runtime: Runtime, pattern: string, limit: number): Promise<FindResult> => {
    await waitReady(deps, runtime.config.queryTimeoutMs);
    try {
      return deps.names.index().find(pattern, { limit });
    } catch (err) {
      if (err instanceof TorusError) throw badParameter("query", err.message);
      throw err;
    }
  };

  const find = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const p = GraphiteParams.of(req, runtime.config.maxParams);
    const format = p.get("format") ?? "treejson";
    const leavesOnly = p.flag("leavesOnly");
    p.flag("local");
    const wildcards = p.flag("wildcards");
    const now = checkTimes(p, runtime, deps.clock());
    const position = p.int("position") ?? -1;
    const jsonp = jsonpOf(p);
    const automaticVariants = p.flag("automatic_variants");
    let query = p.get("query");
    if (query === undefined) throw missingParameter("query", "Missing required parameter 'query'");
    if (query === "") throw new QueryError(400, QueryErrorCodes.MISSING_PARAMETER, "Required parameter 'query' is empty", "query");
    if (!FORMATS.has(format)) throw badParameter("format", `invalid value ${JSON.stringify(format.slice(0, 40))}: use treejson, completer, json or nodelist`);
    const base = basePath(query);
    if (format === "completer") query = completerQuery(query, automaticVariants);
    const result = await search(runtime, query, runtime.config.findLimit);
    markTruncated(req, reply, result, runtime.config.findLimit);
    const nodes = toNodes(result.nodes, leavesOnly);
    let body: unknown;
    if (format === "treejson") body = treeJson(nodes, base, wildcards);
    else if (format === "completer") body = completer(nodes, wildcards);
    else if (format === "json") body = jsonNodes(nodes, (path) => intervalsOf(runtime, path, now));
    else body = nodeList(nodes, position);
    return send(reply, body, jsonp, p.flag("pretty"), true);
  };

  const expand = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const p = GraphiteParams.of(req, runtime.config.maxParams);
    p.flag("local");
    const groupByExpr = p.flag("groupByExpr");
    const leavesOnly = p.flag("leavesOnly");
    const jsonp = jsonpOf(p);
    const limit = runtime.config.findLimit;
    let budget = limit;
    let truncated = false;
    const groups = new Map<string, Set<string>>();
    for (const query of p.all("query")) {
      const paths = groups.get(query) ?? new Set<string>();
      groups.set(query, paths);
      if (budget <= 0) {
        truncated = true;
        continue;
      }
      const result = await search(runtime, query, budget);
      budget -= result.nodes.length;
      truncated ||= result.truncated;
      for (const node of result.nodes) if (node.leaf || !leavesOnly) paths.add(node.path);
    }
    markTruncated(req, reply, { nodes: [], truncated }, limit);
    const sorted = (s: Set<string>) => [...s].sort(byCodeUnits);
    let results: unknown;
    if (groupByExpr) {
      const out: Record<string, string[]> = Object.create(null);
      for (const [query, paths] of groups) out[query] = sorted(paths);
      results = out;
    } else {
      const union = new Set<string>();
      for (const paths of groups.values()) for (const path of paths) union.add(path);
      results = sorted(union);
    }
    return send(reply, { results }, jsonp, p.flag("pretty"), true);
  };

  const index = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const p = GraphiteParams.of(req, runtime.config.maxParams);
    p.flag("local");
    const jsonp = jsonpOf(p);
    await waitReady(deps, runtime.config.queryTimeoutMs);
    return send(reply, deps.names.index().leaves(), jsonp, p.flag("pretty"), false);
  };

  const both = ["GET", "POST"] as const;
  for (const url of ["/metrics/find", "/metrics/find/", "/metrics/"]) app.route({ method: [...both], url, config: { command: "find" }, handler: find });
  app.route({ method: "POST", url: "/metrics", config: { command: "find" }, handler: find });
  // Under a URL prefix nothing else answers GET <prefix>/metrics: it is find, with or without `query`.
  if (app.prefix) app.route({ method: "GET", url: "/metrics", config: { command: "find" }, handler: find });
  else app.route({ method: "GET", url: "/metrics", constraints: { [FIND_CONSTRAINT]: "yes" }, config: { command: "find" }, handler: find });
  for (const url of ["/metrics/expand", "/metrics/expand/"]) app.route({ method: [...both], url, config: { command: "expand" }, handler: expand });
  app.route({ method: [...both], url: "/metrics/index.json", config: { command: "index" }, handler: index });
};

/** The first request after start waits for the first listing, but no longer than QUERY_TIMEOUT (then answers from what is there). */
async function waitReady(deps: GraphiteApiOptions, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([deps.names.ready(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

/** `from`, `until` (`-1`: none), `now` and `tz` are checked as graphite-web checks them; the index has no time ranges, so they narrow nothing. Returns `now`. */
function checkTimes(p: GraphiteParams, runtime: Runtime, clock: number): number {
  const tz = resolveTimeZone(p.get("tz"), runtime.config.timezone);
  try {
    const nowText = p.get("now");
    const now = nowText === undefined ? clock : parseGraphiteTime(nowText, { now: clock, tz }, "now");
    for (const field of ["from", "until"]) {
      const v = p.get(field);
      if (v !== undefined && v !== "-1") parseGraphiteTime(v, { now, tz }, field);
    }
    return now;
  } catch (err) {
    if (err instanceof TorusError) throw new QueryError(400, QueryErrorCodes.BAD_TIME, err.message, (err as { field?: string }).field);
    throw err;
  }
}

export function jsonpOf(p: GraphiteParams): string | null {
  const cb = p.get("jsonp");
  if (cb === undefined || cb === "") return null;
  if (cb.length > 100 || !JSONP.test(cb)) throw badParameter("jsonp", "expected a JavaScript function name");
  return cb;
}

function markTruncated(req: FastifyRequest, reply: FastifyReply, result: FindResult, limit: number): void {
  if (!result.truncated) return;
  reply.header(TRUNCATED_HEADER, String(limit));
  req.log.warn?.({ limit }, "find answer cut at FIND_LIMIT");
}

/** Whisper-like intervals of a leaf: from the oldest bucket its first schema keeps to now. */
function intervalsOf(runtime: Runtime, path: string, now: number): Array<{ start: number; end: number }> {
  const schema = runtime.matching(path)[0];
  if (schema === undefined) return [];
  let start = now;
  for (const iv of schema.series.intervals) {
    const first = iv.firstLiveIndex(now);
    start = Math.min(start, Number.isFinite(first) ? iv.step.start(first) : 0);
  }
  return [{ start, end: now }];
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function send(reply: FastifyReply, data: unknown, jsonp: string | null, pretty: boolean, noCache: boolean): FastifyReply {
  if (noCache) reply.header("pragma", "no-cache").header("cache-control", "no-cache");
  const body = JSON.stringify(data, null, pretty ? 2 : undefined);
  if (jsonp !== null) return reply.type("text/javascript").send(`${jsonp}(${body})`);
  return reply.type("application/json").send(body);
}

