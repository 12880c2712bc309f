import Fastify, { type FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import type { HttpLimits } from "../config/index.js";
import { DEFAULT_HTTP_LIMITS, boundedServerFactory } from "../http/bounded-server.js";
import type { KarbonMetrics } from "./karbon-metrics.js";

/** What the metrics port serves: one process's metrics, or the sum over `--workers`. */
export interface MetricsSource {
  readonly contentType: string;
  /** Prometheus text. */
  metrics(): Promise<string>;
  deadLetters(): Promise<{ total: number; names: ReadonlyMap<string, number> }>;
}

/** One process's own metrics. */
export function localMetrics(metrics: KarbonMetrics): MetricsSource {
  return {
    contentType: metrics.registry.contentType,
    metrics: () => metrics.registry.metrics(),
    deadLetters: async () => ({ total: metrics.deadLetters, names: metrics.deadLetterNames }),
  };
}

/**
 * karbon's small HTTP port: `/metrics` (Prometheus text) and
 * `/dead-letters` (names that matched no schema, most frequent first),
 * with the same socket bounds as torus's (HTTP_* settings).
 */
export function buildMetricsApp(source: MetricsSource, limits: HttpLimits = DEFAULT_HTTP_LIMITS): FastifyInstance {
  const app = Fastify({ logger: false, serverFactory: boundedServerFactory(limits) });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", source.contentType);
    return source.metrics();
  });
  app.get("/dead-letters", async () => {
    const { total, names } = await source.deadLetters();
    return { total, names: Object.fromEntries([...names].sort((a, b) => b[1] - a[1])) };
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `unknown path ${JSON.stringify(req.url)} (try /metrics or /dead-letters)` }));
  return app;
}

export async function listenMetrics(app: FastifyInstance, host: string, port: number): Promise<AddressInfo> {
  await app.listen({ host, port });
  return app.server.address() as AddressInfo;
}
