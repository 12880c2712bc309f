import Fastify, { type FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import type { KarbonMetrics } from "./karbon-metrics.js";

/**
 * karbon's small HTTP port: `/metrics` (Prometheus text) and
 * `/dead-letters` (names that matched no schema, most frequent first).
 */
export function buildMetricsApp(metrics: KarbonMetrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get("/dead-letters", async () => ({
    total: metrics.deadLetters,
    names: Object.fromEntries([...metrics.deadLetterNames].sort((a, b) => b[1] - a[1])),
  }));
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `unknown path ${JSON.stringify(req.url)} (try /metrics or /dead-letters)` }));
  return app;
}

export async function listenMetrics(app: FastifyInstance, host: string, port: number): Promise<AddressInfo> {
  await app.listen({ host, port });
  return app.server.address() as AddressInfo;
}
