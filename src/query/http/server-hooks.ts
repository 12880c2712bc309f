import type { FastifyInstance } from "fastify";
import type { Logger } from "../../logging/logger.js";
import type { Runtime } from "../../runtime/runtime.js";
import { QueryErrorCodes, classifyError } from "../query-error.js";
import { clientOf } from "./client-address.js";
import { addBodyParsers, tooManyParams } from "./form-body.js";
import { OVER_LIMIT, type ParsedParams } from "./form-params.js";
import type { CommandName, QueryMetrics } from "./query-metrics.js";

declare module "fastify" {
  interface FastifyRequest {
    command: CommandName;
  }
  interface FastifyContextConfig {
    /** The command a route's requests are counted and logged under (`torus_requests_total{command}`). */
    command?: CommandName;
  }
}

export interface ServerHooksOptions {
  runtime: () => Runtime;
  metrics: QueryMetrics;
  logger: Logger | null;
  /** What the 404 message lists as served, e.g. `GET /series`. */
  routes: readonly string[];
}

/**
 * What every API plugin shares, installed on the root app before any plugin
 * registers (so each plugin's routes inherit it): the body parsers, the
 * MAX_PARAMS bound on the query string, the command label a route declares
 * in its `config`, the request metrics and access log, the error handler
 * (`{"error", "code"}` with the status `classifyError` gives) and the 404.
 */
export function installServerHooks(app: FastifyInstance, options: ServerHooksOptions): void {
  const { runtime, metrics, logger } = options;
  const maxParams = () => runtime().config.maxParams;
  addBodyParsers(app, maxParams);

  app.decorateRequest("command", "unknown");
  app.addHook("onRequest", async (req) => {
    // Fastify answers HEAD for every GET route; those were never counted as the command.
    req.command = (req.method !== "HEAD" && req.routeOptions.config?.command) || "unknown";
    const over = (req.query as ParsedParams)[OVER_LIMIT];
    if (over !== undefined) throw tooManyParams("query string", over, maxParams());
  });
  app.addHook("onResponse", async (req, reply) => {
    const seconds = reply.elapsedTime / 1000;
    metrics.observe(req.command, reply.statusCode, seconds);
    logger?.info({ client: clientOf(req, runtime().config.trustProxy), method: req.method, url: req.url.length > 300 ? `${req.url.slice(0, 297)}...` : req.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(3)) }, "request");
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, code, message, detail } = classifyError(err);
    metrics.error(req.command, code);
    if (status >= 500) logger?.error({ client: clientOf(req, runtime().config.trustProxy), url: req.url.slice(0, 300), request: req.id, code, err: detail ?? message }, "request failed");
    // A withheld detail is found in the log by the request id.
    const text = detail === undefined ? message : `${message} (request ${req.id})`;
    return reply.code(status).type("application/json").send(JSON.stringify({ error: text, code }));
  });
  // Paths only, each once: the list stays short enough to read as routes are added (methods are in the README).
  const have = [...new Set(options.routes.map((r) => r.replace(/^[A-Z|]+ /, "")))].join(", ");
  app.setNotFoundHandler((req, reply) => {
    metrics.error("unknown", QueryErrorCodes.UNKNOWN_COMMAND);
    const path = req.url.split("?")[0];
    return reply.code(404).send({ error: `unknown command ${JSON.stringify(`${req.method} ${path.slice(0, 120)}`)} (have ${have})`, code: QueryErrorCodes.UNKNOWN_COMMAND });
  });
}
