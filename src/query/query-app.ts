import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "../logging/logger.js";
import type { Runtime } from "../runtime/runtime.js";
import { deleteCommand } from "./delete-command.js";
import { insertCommand } from "./insert-command.js";
import { listCommand } from "./list-command.js";
import type { Params } from "./params.js";
import type { PointWriter } from "./point-writer.js";
import { propertiesCommand } from "./properties-command.js";
import { QueryError, QueryErrorCodes, classifyError } from "./query-error.js";
import { QueryMetrics, type CommandName } from "./query-metrics.js";
import { SeriesCache } from "./series-cache.js";
import { seriesCommand } from "./series-command.js";
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

/** The client a log line names: the first `X-Forwarded-For` hop (torus is meant to sit behind a proxy), else the peer. */
export function clientOf(req: FastifyRequest): string {
  const xff = req.headers["x-forwarded-for"];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(",")[0]?.trim();
  return first || req.socket?.remoteAddress || "-";
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
 * become `{"error": ...}` with 400/401/404/500 via one handler.
 */
export function buildQueryApp(deps: QueryAppDeps): FastifyInstance {
  const metrics = deps.metrics ?? new QueryMetrics();
  const logger = deps.logger ?? null;
  const clock = deps.clock ?? (() => Math.floor(Date.now() / 1000));
  const time = (runtime: Runtime): TimeContext => ({ now: clock(), timezone: runtime.config.timezone });
  const cache = deps.cache === false ? null : new SeriesCache(metrics);
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });

  // POST /insert takes a form or JSON body as well as the query string.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    const out: Params = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    done(null, out);
  });
  app.addContentTypeParser("text/plain", { parseAs: "string" }, (_req, body, done) => done(null, { value: body as string }));

  app.decorateRequest("command", "unknown");
  app.addHook("onRequest", async (req) => {
    req.command = COMMAND_BY_ROUTE[`${req.method} ${req.routeOptions.url}`] ?? "unknown";
  });
  app.addHook("onResponse", async (req, reply) => {
    const seconds = reply.elapsedTime / 1000;
    metrics.observe(req.command, reply.statusCode, seconds);
    logger?.info({ client: clientOf(req), method: req.method, url: req.url.length > 300 ? `${req.url.slice(0, 297)}...` : req.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(3)) }, "request");
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, code, message } = classifyError(err);
    metrics.error(req.command, code);
    if (status >= 500) logger?.error({ client: clientOf(req), url: req.url.slice(0, 300), code, err: message }, "request failed");
    return reply.code(status).type("application/json").send(JSON.stringify({ error: message, code }));
  });
  app.setNotFoundHandler((req, reply) => {
    metrics.error("unknown", QueryErrorCodes.UNKNOWN_COMMAND);
    const path = req.url.split("?")[0];
    return reply
      .code(404)
      .send({ error: `unknown command ${JSON.stringify(`${req.method} ${path.slice(0, 120)}`)} (have GET /series, DELETE /series, GET /list, GET /properties, GET|POST /insert, GET /metrics)`, code: QueryErrorCodes.UNKNOWN_COMMAND });
  });

  const requireToken = (req: FastifyRequest, reply: FastifyReply) => {
    const token = deps.runtime().config.writeToken;
    if (token === null) return;
    if (!tokenMatches(req.headers.authorization, token)) {
      reply.header("www-authenticate", 'Bearer realm="torus"');
      throw new QueryError(401, QueryErrorCodes.UNAUTHORIZED, "this write needs the configured WRITE_TOKEN as `Authorization: Bearer <token>`");
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
  app.delete("/series", async (req, reply) => {
    requireToken(req, reply);
    return deleteCommand(query(req), deps.runtime());
  });
  app.get("/list", async (req) => listCommand(query(req), deps.runtime()));
  app.get("/properties", async (req) => propertiesCommand(query(req), deps.runtime()));
  const insert = async (req: FastifyRequest, reply: FastifyReply) => {
    requireToken(req, reply);
    const runtime = deps.runtime();
    const body = req.body && typeof req.body === "object" && !Array.isArray(req.body) ? (req.body as Params) : {};
    const params: Params = { ...query(req), ...stringify(body) };
    return insertCommand(params, runtime, deps.writer ?? null, time(runtime));
  };
  app.get("/insert", insert);
  app.post("/insert", insert);
  app.get("/metrics", async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

/** JSON bodies may carry numbers (`{"value": 3}`); parameters are text like the query string's. */
function stringify(body: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}
