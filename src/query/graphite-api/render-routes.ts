import type { FastifyPluginAsync } from "fastify";
import type { GraphiteApiOptions } from "./graphite-api.js";

/** `/render`, `/functions`, `/version`. */
export const renderRoutes: FastifyPluginAsync<GraphiteApiOptions> = async () => {};
