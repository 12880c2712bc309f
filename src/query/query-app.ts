import Fastify, { type FastifyInstance } from "fastify";
import { boundedServerFactory } from "../http/bounded-server.js";
import type { Logger } from "../logging/logger.js";
import type { Runtime } from "../runtime/runtime.js";
import { SeriesCache } from "./cache/series-cache.js";
import { GRAPHITE_API_ROUTES, graphiteApi } from "./graphite-api/graphite-api.js";
import type { NameSource, PointSource } from "./graphite-api/graphite-data.js";
import { windowedPoints } from "./graphite-api/points/windowed-point-source.js";
import { parseParams } from "./http/form-params.js";
import { QueryMetrics } from "./http/query-metrics.js";
import { installServerHooks } from "./http/server-hooks.js";
import { METRICS_API_ROUTES, metricsApi } from "./metrics-api/metrics-api.js";
import type { PointWriter } from "./point-writer.js";
import { SERIES_API_ROUTES, seriesApi } from "./series-api/series-api.js";
import { FIND_API_ROUTES } from "./graphite-api/find-routes.js";
import { StoreNameSource } from "./graphite-api/store-name-source.js";
import type { WebAssets } from "./web-ui/web-assets.js";
import { WEB_UI_ROUTES, webUi } from "./web-ui/web-ui.js";
import { KARBON_STATUS_ROUTES, karbonStatusRoutes } from "./karbon-status/karbon-status-routes.js";
import type { KarbonStatusSource } from "./karbon-status/karbon-status.js";

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
  /** What the Graphite API reads; `names` defaults to the stores' names, refreshed in the background (closed with the app), `points` to a window of recent points kept in memory (POINT_WINDOW_MB). */
  graphite?: { names?: NameSource; points?: PointSource };
  /** The web explorer's files (default: bundled from source, or read from dist/web). */
  webAssets?: () => Promise<WebAssets>;
  /** karbon in the same process (`torus start`), for `/karbon/status`; KARBON_METRICS_URL, when set, wins. */
  karbon?: KarbonStatusSource | null;
}

/**
 * The query server (SPEC §5) as a Fastify app that is never listening: the
 * CLI calls `listen`, tests call `inject`. The shared parts (parsers, the
 * parameter bound, metrics, access log, error and 404 handlers) go on the
 * root; each API is a plugin beside the others: the `/series` family and
 * `/metrics`. Errors become `{"error": ..., "code": ...}`
 * (400/401/403/404/405/500/503) via one handler.
 */
export function buildQueryApp(deps: QueryAppDeps): FastifyInstance {
  const metrics = deps.metrics ?? new QueryMetrics();
  const clock = deps.clock ?? (() => Math.floor(Date.now() / 1000));
  const initial = deps.runtime().config;
  const maxParams = () => deps.runtime().config.maxParams;
  const app = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    // Socket bounds are read once, when the server is built: a reload does not change them.
    serverFactory: boundedServerFactory(initial.http, () => metrics.droppedConnections.inc()),
    routerOptions: { querystringParser: (text: string) => parseParams(text, maxParams()) },
  });
  // URL_PREFIX is read once, like the socket bounds: routes cannot move on a reload.
  const prefix = initial.urlPrefix;
  const graphiteRoutes = [...GRAPHITE_API_ROUTES, ...FIND_API_ROUTES, ...WEB_UI_ROUTES, ...KARBON_STATUS_ROUTES].map((r) => r.replace(" /", ` ${prefix}/`));
  installServerHooks(app, { runtime: deps.runtime, metrics, logger: deps.logger ?? null, routes: [...SERIES_API_ROUTES, ...METRICS_API_ROUTES, ...graphiteRoutes] });
  app.register(seriesApi, { runtime: deps.runtime, writer: deps.writer ?? null, cache: deps.cache === false ? null : new SeriesCache(metrics), clock });
  app.register(metricsApi, { metrics });
  const names = deps.graphite?.names ?? new StoreNameSource({ runtime: deps.runtime, logger: deps.logger ?? null, registry: metrics.registry });
  const points = deps.graphite?.points ?? windowedPoints(deps.runtime);
  // The prefix goes on a wrapping scope: given to graphiteApi itself it would reach its inner plugins twice.
  app.register(async (scope) => scope.register(graphiteApi, { runtime: deps.runtime, clock, names, points }), { prefix });
  // The page beside the API it reads, so its relative URLs reach it under any prefix.
  app.register(async (scope) => scope.register(webUi, { base: prefix, assets: deps.webAssets }), { prefix });
  app.register(async (scope) => scope.register(karbonStatusRoutes, { runtime: deps.runtime, local: deps.karbon ?? null }), { prefix });
  // A source the caller gave is the caller's to close.
  if (deps.graphite?.names === undefined) app.addHook("onClose", async () => names.close());
  app.addHook("onClose", async () => points.clear?.());
  return app;
}
