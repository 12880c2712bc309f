import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { boundedServerFactory } from "../http/bounded-server.js";
import type { Logger } from "../logging/logger.js";
import type { Runtime } from "../runtime/runtime.js";
import { deleteCommand } from "./series-api/delete-command.js";
import { OVER_LIMIT, parseParams, type ParsedParams } from "./http/form-params.js";
import { insertCommand } from "./series-api/insert-command.js";
import { listCommand } from "./series-api/list-command.js";
import type { Params } from "./http/params.js";
import type { PointWriter } from "./point-writer.js";
import { propertiesCommand } from "./series-api/properties-command.js";
import { QueryError, QueryErrorCodes, classifyError } from "./query-error.js";
import { QueryMetrics, type CommandName } from "./http/query-metrics.js";
import { SeriesCache } from "./cache/series-cache.js";
import { seriesCommand } from "./series-api/series-command.js";
import type { TimeContext } from "./time-parse.js";

/** What the query app is built from; it never opens stores or listens itself. */
export interface QueryAppDeps {
  /** The live runtime (a reload swaps it; every request reads the current one). */
  runtime: () => Runtime;
  /** The write path for `/insert`; without it `/insert` answers 404. */
  writer?: PointWriter | null;
  /** Access and error logs; none when omitted. */
  logger?: Logger | null;
  metrics?: QueryMetrics;
  /** Current Unix time in seconds (tests pin it). */
  clock?: () => number;
  /** Keep `/series` responses in the response cache (bounded by QUERY_CACHE/QUERY_CACHE_MB); default true. */
  cache?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    command: CommandName;
  }
}

const COMMAND_BY_ROUTE: Record<string, CommandName> = {
  "GET /series": "series",
  "GET /data": "series",
  "DELETE /series": "delete",
  "GET /list": "list",
  "GET /properties": "properties",
  "GET /insert": "insert",
  "POST /insert": "insert",
  "GET /metrics": "metrics",
};

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
const plainAddress = (a: string) => (a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a);

/**
 * The client a log line names. `X-Forwarded-For` is anyone's to write, so it
 * is believed only as TRUST_PROXY says: `false` (default) names the TCP
 * peer; `true` the header's first hop whoever sent it (every peer is a
 * proxy); a list of proxy addresses the rightmost hop that is not one of
 * them, and only when the peer is one of them.
 */
export function clientOf(req: FastifyRequest, trust: boolean | readonly string[] = false): string {
  const peer = req.socket?.remoteAddress ? plainAddress(req.socket.remoteAddress) : "-";
  if (trust === false) return peer;
  const xff = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(xff) ? xff.join(",") : (xff ?? "")).split(",").map((h) => h.trim()).filter((h) => h !== "");
  if (hops.length === 0) return peer;
  // A header is not an address: keep a forged 8 KB one out of the log.
  const cut = (h: string) => (h.length > 64 ? `${h.slice(0, 61)}...` : h);
  if (trust === true) return cut(hops[0]);
  const proxies = trust.map(plainAddress);
  if (!proxies.includes(peer)) return peer;
  for (let i = hops.length - 1; i >= 0; i--) if (!proxies.includes(plainAddress(hops[i]))) return cut(hops[i]);
  return cut(hops[0]);
}

/** A browser page's origin is this server's own when it names the host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed pages, file://) and garbage
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The query API (SPEC §5) as a Fastify app that is never listening: the
 * CLI calls `listen`, tests call `inject`. One route per command; errors
 * become `{"error": ..., "code": ...}` (400/401/403/404/405/500/503) via one handler.
 */
export function buildQueryApp(deps: QueryAppDeps): FastifyInstance {
  const metrics = deps.metrics ?? new QueryMetrics();
  const logger = deps.logger ?? null;
  const clock = deps.clock ?? (() => Math.floor(Date.now() / 1000));
  const time = (runtime: Runtime): TimeContext => ({ now: clock(), timezone: runtime.config.timezone });
  const cache = deps.cache === false ? null : new SeriesCache(metrics);
  const initial = deps.runtime().config;
  const maxParams = () => deps.runtime().config.maxParams;
  const app = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    // Socket bounds are read once, when the server is built: a reload does not change them.
    serverFactory: boundedServerFactory(initial.http, () => metrics.droppedConnections.inc()),
    routerOptions: { querystringParser: (text: string) => parseParams(text, maxParams()) },
  });

  // POST /insert takes a form or JSON body as well as the query string.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    const parsed = parseParams(body as string, maxParams());
    if (parsed[OVER_LIMIT] !== undefined) return done(tooManyParams("body", parsed[OVER_LIMIT]!, maxParams()), undefined);
    done(null, parsed);
  });
  app.addContentTypeParser("text/plain", { parseAs: "string" }, (_req, body, done) => done(null, { value: body as string }));

  app.decorateRequest("command", "unknown");
  app.addHook("onRequest", async (req) => {
    req.command = COMMAND_BY_ROUTE[`${req.method} ${req.routeOptions.url}`] ?? "unknown";
    const over = (req.query as ParsedParams)[OVER_LIMIT];
    if (over !== undefined) throw tooManyParams("query string", over, maxParams());
  });
  app.addHook("onResponse", async (req, reply) => {
    const seconds = reply.elapsedTime / 1000;
    metrics.observe(req.command, reply.statusCode, seconds);
    logger?.info({ client: clientOf(req, deps.runtime().config.trustProxy), method: req.method, url: req.url.length > 300 ? `${req.url.slice(0, 297)}...` : req.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(3)) }, "request");
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, code, message, detail } = classifyError(err);
    metrics.error(req.command, code);
    if (status >= 500) logger?.error({ client: clientOf(req, deps.runtime().config.trustProxy), url: req.url.slice(0, 300), request: req.id, code, err: detail ?? message }, "request failed");
    // A withheld detail is found in the log by the request id.
    const text = detail === undefined ? message : `${message} (request ${req.id})`;
    return reply.code(status).type("application/json").send(JSON.stringify({ error: text, code }));
  });
  app.setNotFoundHandler((req, reply) => {
    metrics.error("unknown", QueryErrorCodes.UNKNOWN_COMMAND);
    const path = req.url.split("?")[0];
    return reply
      .code(404)
      .send({ error: `unknown command ${JSON.stringify(`${req.method} ${path.slice(0, 120)}`)} (have GET /series, DELETE /series, GET /list, GET /properties, POST /insert, GET /metrics)`, code: QueryErrorCodes.UNKNOWN_COMMAND });
  });

  /**
   * Every write endpoint's gate, run on the headers alone (an `onRequest`
   * hook, before any body is read): GET /insert only when allowed, no
   * browser page of another origin, the write token. A refused request
   * that announced a body gets `Connection: close`, so its body is never
   * read at all.
   */
  const guardWrite = async (req: FastifyRequest, reply: FastifyReply) => {
    const config = deps.runtime().config;
    const refuse = (err: QueryError) => {
      if (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined) reply.header("connection", "close");
      throw err;
    };
    if (req.method === "GET" && !config.allowGetInsert) {
      reply.header("allow", "POST");
      refuse(new QueryError(405, QueryErrorCodes.METHOD_NOT_ALLOWED, "GET /insert changes state, so it is POST-only (POST the same fields as a form or JSON; ALLOW_GET_INSERT: true serves old GET clients)"));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host) && !config.allowedOrigins.includes("*") && !config.allowedOrigins.includes(origin.toLowerCase())) {
      refuse(new QueryError(403, QueryErrorCodes.FORBIDDEN_ORIGIN, `a page of origin ${JSON.stringify(origin.slice(0, 120))} may not write here (list it in ALLOWED_ORIGINS)`));
    }
    const token = config.writeToken;
    if (token !== null && !tokenMatches(req.headers.authorization, token)) {
      reply.header("www-authenticate", 'Bearer realm="torus"');
      refuse(new QueryError(401, QueryErrorCodes.UNAUTHORIZED, "this write needs the configured WRITE_TOKEN as `Authorization: Bearer <token>`"));
    }
  };
  const query = (req: FastifyRequest) => req.query as Params;

  const series = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const body = await seriesCommand(query(req), { runtime, time: time(runtime), cache });
    return reply.type("application/json; charset=utf-8").send(body);
  };
  app.get("/series", series);
  // The seed's former name for /series.
  app.get("/data", series);
  app.delete("/series", { onRequest: guardWrite }, async (req) => deleteCommand(query(req), deps.runtime()));
  app.get("/list", async (req) => listCommand(query(req), deps.runtime()));
  app.get("/properties", async (req) => propertiesCommand(query(req), deps.runtime()));
  const insert = async (req: FastifyRequest) => {
    const runtime = deps.runtime();
    const body = req.body && typeof req.body === "object" && !Array.isArray(req.body) ? stringify(req.body as Record<string, unknown>, runtime.config.maxParams) : {};
    const params: Params = { ...query(req), ...body };
    return insertCommand(params, runtime, deps.writer ?? null, time(runtime));
  };
  app.get("/insert", { onRequest: guardWrite }, insert);
  app.post("/insert", { onRequest: guardWrite }, insert);
  app.get("/metrics", async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

/** JSON bodies may carry numbers (`{"value": 3}`); parameters are text like the query string's, and as many. */
function stringify(body: Record<string, unknown>, max: number): Params {
  const entries = Object.entries(body);
  let n = 0;
  for (const [, v] of entries) n += Array.isArray(v) ? v.length : 1;
  if (n > max) throw tooManyParams("body", n, max);
  const out: Params = Object.create(null);
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

function tooManyParams(where: string, count: number, max: number): QueryError {
  return new QueryError(400, QueryErrorCodes.TOO_MANY_PARAMETERS, `the ${where} has ${count} parameters, more than the configured maximum of ${max} (MAX_PARAMS)`);
}

