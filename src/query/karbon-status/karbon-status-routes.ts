import type { FastifyPluginAsync } from "fastify";
import type { Runtime } from "../../runtime/runtime.js";
import { PointRate, statusOf, type KarbonStatus, type KarbonStatusSource } from "./karbon-status.js";
import { remoteKarbon } from "./remote-karbon.js";

/** The route of this plugin, for the 404 message (under URL_PREFIX, beside the page that reads it). */
export const KARBON_STATUS_ROUTES = ["GET /karbon/status"] as const;

export interface KarbonStatusOptions {
  runtime: () => Runtime;
  /** karbon in this process (`torus start`); KARBON_METRICS_URL, when set, is read instead. */
  local?: KarbonStatusSource | null;
}

/**
 * `GET /karbon/status`: karbon's self-metrics and top dead letters as a
 * small JSON object, for the page's status panel. karbon unreachable or not
 * known is a status (`available: false` and why), not an error: the query
 * server itself is fine.
 */
export const karbonStatusRoutes: FastifyPluginAsync<KarbonStatusOptions> = async (app, options) => {
  let remote: KarbonStatusSource | null = null;
  const rates = new Map<string, PointRate>();
  const sourceOf = (): KarbonStatusSource | null => {
    const url = options.runtime().config.karbonMetricsUrl;
    if (url === null) return options.local ?? null;
    if (remote?.name !== url.replace(/\/+$/, "")) remote = remoteKarbon(url);
    return remote;
  };
  app.get("/karbon/status", { config: { command: "web" } }, async (_req, reply): Promise<KarbonStatus> => {
    reply.header("cache-control", "no-store");
    const source = sourceOf();
    if (source === null) return { available: false, source: null, message: "karbon does not run in this process; set KARBON_METRICS_URL to its --metrics address (e.g. http://127.0.0.1:9108)" };
    let text: string, dead: Awaited<ReturnType<KarbonStatusSource["deadLetters"]>>;
    try {
      [text, dead] = await Promise.all([source.metrics(), source.deadLetters()]);
    } catch (err) {
      const why = (err as Error).name === "TimeoutError" ? "no answer in time" : String((err as Error).cause ?? (err as Error).message);
      return { available: false, source: source.name, message: `cannot read karbon's metrics at ${source.name}: ${why}` };
    }
    const nowMs = Date.now();
    const status = statusOf(source.name, Math.floor(nowMs / 1000), text, dead);
    let rate = rates.get(source.name);
    if (!rate) rates.set(source.name, (rate = new PointRate()));
    status.points.perSecond = rate.add(nowMs, status.points.total);
    return status;
  });
};
