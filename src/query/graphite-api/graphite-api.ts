import type { FastifyPluginAsync } from "fastify";
import type { Runtime } from "../../runtime/runtime.js";
import { findRoutes } from "./find-routes.js";
import type { NameSource, PointSource } from "./graphite-data.js";
import { RENDER_ROUTES, renderRoutes } from "./render-routes.js";
import { TAGS_API_ROUTES, tagsRoutes } from "./tags-routes.js";

/** What the Graphite API serves, for the 404 message (each under URL_PREFIX when one is set). */
export const GRAPHITE_API_ROUTES: readonly string[] = [...RENDER_ROUTES, ...TAGS_API_ROUTES];

export interface GraphiteApiOptions {
  /** The live runtime (a reload swaps it; every request reads the current one). */
  runtime: () => Runtime;
  /** Current Unix time in seconds. */
  clock: () => number;
  names: NameSource;
  points: PointSource;
}

/**
 * graphite-web's HTTP API (SPEC §10), so Grafana's Graphite data source
 * works unchanged: `/render`, `/metrics/find`, `/metrics/expand`,
 * `/metrics/index.json`, `/functions`, `/version`. Registered under
 * URL_PREFIX when one is set.
 */
export const graphiteApi: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  await app.register(renderRoutes, deps);
  await app.register(findRoutes, deps);
  await app.register(tagsRoutes, deps);
};
