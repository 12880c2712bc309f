import type { FastifyPluginAsync } from "fastify";
import { EVENTS_API_ROUTES, eventsRoutes } from "./events/events-routes.js";
import { findRoutes } from "./find-routes.js";
import type { GraphiteApiOptions } from "./graphite-data.js";
export type { GraphiteApiOptions } from "./graphite-data.js";
import { RENDER_ROUTES, renderRoutes } from "./render-routes.js";
import { TAGS_API_ROUTES, tagsRoutes } from "./tags-routes.js";
import { TAGS_WRITE_ROUTES, tagsWriteRoutes } from "./tags-write-routes.js";

/** What the Graphite API serves, for the 404 message (each under URL_PREFIX when one is set). */
export const GRAPHITE_API_ROUTES: readonly string[] = [...RENDER_ROUTES, ...TAGS_API_ROUTES, ...TAGS_WRITE_ROUTES, ...EVENTS_API_ROUTES];

/**
 * graphite-web's HTTP API (SPEC §10), so Grafana's Graphite data source
 * works unchanged: `/render`, `/metrics/find`, `/metrics/expand`,
 * `/metrics/index.json`, `/functions`, `/version`, `/tags`, `/events`. Registered under
 * URL_PREFIX when one is set.
 */
export const graphiteApi: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  await app.register(renderRoutes, deps);
  await app.register(findRoutes, deps);
  await app.register(tagsWriteRoutes, deps);
  await app.register(tagsRoutes, deps);
  await app.register(eventsRoutes, deps);
};
