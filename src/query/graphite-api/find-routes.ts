import type { FastifyPluginAsync } from "fastify";
import type { GraphiteApiOptions } from "./graphite-api.js";

/** `/metrics/find` (and `/metrics`), `/metrics/expand`, `/metrics/index.json`. */
export const findRoutes: FastifyPluginAsync<GraphiteApiOptions> = async () => {};
