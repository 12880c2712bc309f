import type { FastifyPluginAsync } from "fastify";
import type { QueryMetrics } from "../http/query-metrics.js";

/** What this API serves, for the 404 message. */
export const METRICS_API_ROUTES = ["GET /metrics"] as const;

/** `GET /metrics`: the query server's own metrics in Prometheus text format. */
export const metricsApi: FastifyPluginAsync<{ metrics: QueryMetrics }> = async (app, { metrics }) => {
  app.get("/metrics", { config: { command: "metrics" } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
