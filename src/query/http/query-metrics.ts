import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The commands metrics are labelled by (anything else is "unknown", so labels stay bounded). */
export const COMMANDS = ["series", "delete", "list", "properties", "insert", "metrics", "render", "functions", "find", "expand", "index", "web", "events", "unknown"] as const;
export type CommandName = (typeof COMMANDS)[number];

/**
 * torus's self-metrics: requests and latency by command, errors by command
 * and code. Children are created up front so a request costs two lookups
 * in small maps, not label hashing.
 */
export class QueryMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"command" | "status">;
  private readonly latency: Histogram<"command">;
  private readonly errors: Counter<"command" | "code">;
  /** `/series` answers served from the response cache, and those that read the stores while it was on. */
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  /** Connections closed as they were accepted, past HTTP_MAX_CONNECTIONS. */
  readonly droppedConnections: Counter;
  private readonly latencyChildren = new Map<string, ReturnType<Histogram<"command">["labels"]>>();
  private readonly requestChildren = new Map<string, ReturnType<Counter<"command" | "status">["labels"]>>();

  constructor(options: { processMetrics?: boolean } = {}) {
    this.requests = new Counter({ name: "torus_requests_total", help: "HTTP requests answered, by command and status", labelNames: ["command", "status"], registers: [this.registry] });
    this.latency = new Histogram({
      name: "torus_request_duration_seconds",
      help: "Time to answer a request, by command",
      labelNames: ["command"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.errors = new Counter({ name: "torus_request_errors_total", help: "Requests answered with an error, by command and error code", labelNames: ["command", "code"], registers: [this.registry] });
    this.cacheHits = new Counter({ name: "torus_series_cache_hits_total", help: "/series responses served from the response cache", registers: [this.registry] });
    this.cacheMisses = new Counter({ name: "torus_series_cache_misses_total", help: "/series responses computed with the response cache on (absent or stale entry)", registers: [this.registry] });
    this.droppedConnections = new Counter({ name: "torus_http_connections_dropped_total", help: "Connections closed on arrival because HTTP_MAX_CONNECTIONS were open", registers: [this.registry] });
    for (const c of COMMANDS) this.latencyChildren.set(c, this.latency.labels(c));
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "torus_" });
  }

  observe(command: CommandName, status: number, seconds: number): void {
    this.latencyChildren.get(command)!.observe(seconds);
    const key = `${command} ${status}`;
    let child = this.requestChildren.get(key);
    if (!child) this.requestChildren.set(key, (child = this.requests.labels(command, String(status))));
    child.inc();
  }

  error(command: CommandName, code: string): void {
    this.errors.labels(command, code).inc();
  }
}
