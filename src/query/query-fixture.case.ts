import { pino } from "pino";
import type { FastifyInstance } from "fastify";
import { compileConfig, type Config } from "../config/index.js";
import { Karbon } from "../ingest/karbon.js";
import { buildRuntime, fixedRuntime, type Runtime } from "../runtime/runtime.js";
import { StoreRegistry } from "../timeseries/index.js";
import { buildQueryApp, type QueryAppDeps } from "./query-app.js";
import { pointWriter } from "./point-writer.js";

/** A pinned "now" in the middle of an hour, so minute and hour buckets are easy to compute by hand. */
export const NOW = 1_800_000_000 - (1_800_000_000 % 3600) + 1830;
export const MINUTE = (t: number) => t - (t % 60);
export const HOUR = (t: number) => t - (t % 3600);

/** Five schemas (one per type) on one in-memory SQLite store, plus transforms, macros and an aggregate. */
export function fixtureExports(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const intervals = { minute: { step: 60, steps: 120 }, hour: { step: "1h", steps: 48, resolution: 60 } };
  return {
    SCHEMAS: {
      counts: { type: "count", match: "^c\\.", prefix: "c", intervals },
      timers: { type: "histogram", match: "^h\\.", prefix: "h", intervals },
      series: { type: "series", match: "^s\\.", prefix: "s", intervals },
      gauges: { type: "gauge", match: "^g\\.", prefix: "g", intervals },
      sets: { type: "set", match: "^u\\.", prefix: "u", intervals },
      // A second schema matching c.* (declared later, so only answers when forced).
      counts_daily: { type: "count", match: "^c\\.", prefix: "cd", intervals: { day: { step: "daily", steps: 30 } } },
    },
    AGGREGATES: [["c.total", "c.*"]],
    TRANSFORMS: {
      double: (data: unknown) => (typeof data === "number" ? data * 2 : null),
      spread: (data: Map<number, number>) => {
        const keys = [...data.keys()].map(Number);
        return Math.max(...keys) - Math.min(...keys);
      },
    },
    MACROS: {
      hourly_double: { interval: "hour", transform: "double", condense: true },
      members: { transform: "count", format: "json" },
      rowcount: { process_row: (d: unknown) => (d instanceof Map ? d.size : d), condense: (subs: Map<number, number>) => [...subs.values()].reduce((a, b) => a + b, 0), format: "json", interval: "hour" },
      maxjoin: { join_rows: (rows: number[]) => Math.max(...rows), transform: "sum" },
      fetched: { fetch: (_handle: unknown, key: { bucket: number }) => (key.bucket % 120 === 0 ? 42 : null), format: "json" },
      total: { collapse: true, transform: "sum" },
    },
    ...extra,
  };
}

export interface Fixture {
  app: FastifyInstance;
  karbon: Karbon;
  config: Config;
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
  /** Send points through `/insert` (karbon's dispatcher), failing the test on a non-200. */
  send(points: Array<[string, string | number, number]>, headers?: Record<string, string>): Promise<void>;
  get(url: string): Promise<{ status: number; body: any; text: string }>;
  /** POST with the parameters in the URL (no body), as a write client sends `/insert?...`. */
  post(url: string): Promise<{ status: number; body: any; text: string }>;
}

/** `graphite`: the Graphite API's sources, built over the fixture's runtime (default: the query app's own). */
export async function fixture(extra: Record<string, unknown> = {}, graphite?: (runtime: Runtime) => QueryAppDeps["graphite"]): Promise<Fixture> {
  const config = compileConfig(fixtureExports(extra));
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const registry = new StoreRegistry();
  const runtime = await buildRuntime(config, registry);
  const karbon = new Karbon({ runtime: fixedRuntime(runtime), logger, clock: () => NOW });
  await karbon.start();
  const app = buildQueryApp({ runtime: () => runtime, writer: pointWriter(karbon), logger, clock: () => NOW, graphite: graphite?.(runtime) });
  const request = async (method: "GET" | "POST", url: string) => {
    const res = await app.inject({ method, url });
    let body: any = null;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = null;
    }
    return { status: res.statusCode, body, text: res.body };
  };
  const get = (url: string) => request("GET", url);
  const post = (url: string) => request("POST", url);
  return {
    app,
    karbon,
    config,
    logs,
    get,
    post,
    async send(points, headers = {}) {
      for (const [stat, value, ts] of points) {
        const res = await app.inject({ method: "POST", url: "/insert", payload: { stat, value, timestamp: ts }, headers });
        if (res.statusCode !== 200) throw new Error(`insert ${stat} ${value}: ${res.statusCode} ${res.body}`);
      }
    },
    async close() {
      await app.close();
      await karbon.stop();
      await registry.closeAll();
    },
  };
}
