import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { functionInfo, functionsJson, functionsObject } from "../../graphite/functions/index.js";
import { parseGraphiteTime, parseTimeRange } from "../../graphite/graphite-time.js";
import { quote } from "../../timeseries/errors.js";
import { QueryErrorCodes, badParameter } from "../query-error.js";
import { evaluateTargets } from "./evaluate.js";
import type { GraphiteApiOptions } from "./graphite-data.js";
import { GraphiteParams } from "./graphite-params.js";
import { fetchPath, fetchTagged, renderBudget, readOriginCells, type PathFetchDeps } from "./path-fetch.js";
import { renderCsv, renderJsonBytes, renderRaw } from "./render-format.js";

/** What graphite-web reports as its version; Grafana's Graphite data source reads it (setting 1.1). */
export const GRAPHITE_VERSION = "1.1.10";

/** The routes of this plugin, for the 404 message (before any URL_PREFIX). */
export const RENDER_ROUTES = ["GET|POST /render", "GET /functions", "GET /functions/<name>", "GET /version"] as const;

const FORMATS = ["json", "csv", "raw"] as const;
type Format = (typeof FORMATS)[number];
const JSONP = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** `maxDataPoints`: a positive whole number, or absent. graphite-web ignores anything else and then fails on 0; we say so. */
function parseMaxDataPoints(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw badParameter("maxDataPoints", `expected a positive whole number of points (a panel's width), got ${quote(value)}`);
  return n;
}

function parseXFilesFactor(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw badParameter("xFilesFactor", `expected a number from 0 to 1, got ${quote(value)}`);
  return n;
}

/** The output format: `format=`, else graphite-web's `rawData` flag, else json (graphite-web would draw a PNG, which Torus does not). */
function parseFormat(params: GraphiteParams): Format {
  const f = params.get("format") ?? (params.has("rawData") ? "raw" : params.has("pickle") ? "pickle" : "json");
  if ((FORMATS as readonly string[]).includes(f)) return f as Format;
  throw badParameter("format", `expected one of ${FORMATS.join(", ")}, got ${quote(f)} (Torus does not draw images or write pickle/msgpack)`);
}

/** `template[name]=value` parameters (graphite-web's request-wide template values). */
function templateParams(params: GraphiteParams): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of params.entries()) if (k.startsWith("template[") && k.endsWith("]")) out[k.slice(9, -1)] = v[v.length - 1];
  return out;
}

/** `/render`, `/functions`, `/version`. */
export const renderRoutes: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  const render = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const params = GraphiteParams.of(req, runtime.config.maxParams);
    const targets = params.all("target").length > 0 ? params.all("target") : params.all("target[]");
    const format = parseFormat(params);
    const maxDataPoints = parseMaxDataPoints(params.get("maxDataPoints"));
    const xFilesFactor = parseXFilesFactor(params.get("xFilesFactor"));
    const jsonp = params.has("format") ? params.get("jsonp") : undefined;
    if (jsonp !== undefined && !JSONP.test(jsonp)) throw badParameter("jsonp", `expected a JavaScript function name, got ${quote(jsonp.slice(0, 80))}`);
    const range = parseTimeRange({ from: params.get("from"), until: params.get("until"), now: params.get("now"), tz: params.get("tz") }, deps.clock(), runtime.config.timezone);
    const budget = renderBudget(runtime);
    const fetchDeps: PathFetchDeps = { runtime, names: deps.names, points: deps.points, now: range.now, budget, xFilesFactor };
    const series = await evaluateTargets(targets, {
      from: range.from,
      until: range.until,
      now: range.now,
      xFilesFactor,
      maxDataPoints,
      budget,
      template: templateParams(params),
      fetchPath: (expression, from, until) => fetchPath(expression, from, until, fetchDeps),
      fetchTagged: (expressions, from, until) => fetchTagged(expressions, from, until, fetchDeps),
      parseTime: (text) => parseGraphiteTime(text, { now: range.now, tz: range.tz }, "date"),
      readCells: (origins, from, until) => readOriginCells(origins, from, until, fetchDeps),
    });
    if (format === "csv") return reply.type("text/csv").send(renderCsv(series, range.tz));
    if (format === "raw") return reply.type("text/plain").send(renderRaw(series));
    const body = renderJsonBytes(series, { maxDataPoints, noNullPoints: params.has("noNullPoints"), pretty: Boolean(params.get("pretty")) });
    if (jsonp !== undefined) return reply.type("text/javascript").send(`${jsonp}(${typeof body === "string" ? body : body.toString("latin1")})`);
    return reply.type("application/json").send(body);
  };
  for (const path of ["/render", "/render/"]) {
    app.get(path, { config: { command: "render" } }, render);
    app.post(path, { config: { command: "render" } }, render);
  }

  const functions = async (req: FastifyRequest, reply: FastifyReply) => {
    const params = new GraphiteParams(req.query as Record<string, string>);
    const grouped = ["1", "true"].includes((params.get("grouped") ?? "").toLowerCase());
    const body = functionsObject({ grouped, group: params.get("group") });
    return reply.type("application/json").send(params.get("pretty") ? functionsJsonPretty(body) : functionsJson(body));
  };
  app.get("/functions", { config: { command: "functions" } }, functions);
  app.get("/functions/", { config: { command: "functions" } }, functions);
  app.get<{ Params: { name: string } }>("/functions/:name", { config: { command: "functions" } }, async (req, reply) => {
    const info = functionInfo(req.params.name);
    if (!info) {
      return reply
        .code(404)
        .type("application/json")
        .send(JSON.stringify({ error: `function not found: ${JSON.stringify(req.params.name.slice(0, 120))}`, code: QueryErrorCodes.UNKNOWN_FUNCTION }));
    }
    return reply.type("application/json").send(functionsJson(info));
  });

  const version = async (_req: FastifyRequest, reply: FastifyReply) => reply.type("text/html; charset=utf-8").send(GRAPHITE_VERSION);
  app.get("/version", version);
  app.get("/version/", version);
};

function functionsJsonPretty(value: unknown): string {
  const INF = "\u0000inf\u0000";
  const text = JSON.stringify(value, (_k, v) => (v === Infinity ? INF : v), 2);
  return text.replaceAll(JSON.stringify(INF), "1e9999");
}

