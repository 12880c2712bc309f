import cluster, { type Worker } from "node:cluster";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { AggregatorRegistry } from "prom-client";
import type { HttpLimits } from "../../config/index.js";
import { DEFAULT_HTTP_LIMITS } from "../../http/bounded-server.js";
import type { Logger } from "../../logging/logger.js";
import type { Karbon, KarbonAddresses } from "../karbon.js";
import { buildMetricsApp, listenMetrics } from "../metrics-server.js";

/**
 * `karbon --workers N`: N processes (node:cluster) share the listeners'
 * ports; the primary hands each new connection to one of them, and each
 * runs the whole pipeline (parse, route, buffer, write) for its
 * connections. Stores merge, so points of one name arriving through
 * different workers add up as they would in one process. The primary
 * serves `/metrics` and `/dead-letters` summed over the workers.
 */

/** Messages between the primary and its workers (IPC). */
type ToPrimary = { karbon: "listening"; listeners: Listening } | { karbon: "dead-letters"; id: number; total: number; names: Record<string, number> };
/** A worker's bound listeners, by name (the metrics port is the primary's). */
type Listening = Record<string, AddressInfo | null>;
type ToWorker = { karbon: "dead-letters"; id: number };

const isKarbonMessage = (m: unknown): m is { karbon: string } => typeof m === "object" && m !== null && "karbon" in m;

/** Worker side: announce the bound ports, answer the primary's metrics and dead-letter requests. */
export function serveAsWorker(karbon: Karbon, addresses: KarbonAddresses): void {
  new AggregatorRegistry(); // installs prom-client's IPC listener
  AggregatorRegistry.setRegistries([karbon.metrics.registry]);
  process.on("message", (m: unknown) => {
    if (!isKarbonMessage(m) || (m as ToWorker).karbon !== "dead-letters") return;
    const reply: ToPrimary = { karbon: "dead-letters", id: (m as ToWorker).id, total: karbon.metrics.deadLetters, names: Object.fromEntries(karbon.metrics.deadLetterNames) };
    process.send?.(reply);
  });
  const { metrics: _metrics, ...listeners } = addresses;
  process.send?.({ karbon: "listening", listeners } satisfies ToPrimary);
}

/** Primary side: the summed self-metrics port, and the moment every worker is listening. */
export class KarbonPrimary {
  private readonly aggregator = new AggregatorRegistry();
  private readonly listening = new Map<number, Listening>();
  private readonly waiting = new Map<number, { names: Map<string, number>; total: number; pending: number; done: () => void }>();
  private nextId = 1;
  private http: FastifyInstance | null = null;
  private announced = false;

  constructor(
    private readonly count: number,
    private readonly logger: Logger,
    private readonly metrics: { host: string; port: number } | null,
    private readonly httpLimits: HttpLimits = DEFAULT_HTTP_LIMITS,
    /** Announce the shared ports some other way (a plain line on a terminal) instead of the JSON log line. */
    private readonly onListening?: (addresses: KarbonAddresses, fields: Record<string, unknown>) => void,
  ) {}

  /** Wire a (new or replacement) worker's messages. */
  adopt(worker: Worker): void {
    worker.on("message", (m: unknown) => {
      if (!isKarbonMessage(m)) return;
      const msg = m as ToPrimary;
      if (msg.karbon === "listening") {
        this.listening.set(worker.id, msg.listeners);
        this.announce();
      } else if (msg.karbon === "dead-letters") {
        const w = this.waiting.get(msg.id);
        if (!w) return;
        w.total += msg.total;
        for (const [name, n] of Object.entries(msg.names)) w.names.set(name, (w.names.get(name) ?? 0) + n);
        if (--w.pending === 0) w.done();
      }
    });
    worker.on("exit", () => this.listening.delete(worker.id));
  }

  private metricsAddress: AddressInfo | null = null;

  /**
   * Open the summed metrics port, before any worker is forked: a port in use
   * ends karbon with one line at start instead of failing later inside the
   * running primary.
   */
  async listen(): Promise<void> {
    if (!this.metrics) return;
    this.http = buildMetricsApp({ contentType: this.aggregator.contentType, metrics: () => this.aggregator.clusterMetrics(), deadLetters: () => this.deadLetters() }, this.httpLimits);
    try {
      this.metricsAddress = await listenMetrics(this.http, this.metrics.host, this.metrics.port);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Once all workers listen: log "karbon listening" with the shared addresses. */
  private announce(): void {
    if (this.announced || this.listening.size < this.count) return;
    this.announced = true;
    const first = this.listening.values().next().value!;
    const fields = { ...first, metrics: this.metricsAddress, workers: this.count };
    if (this.onListening) this.onListening({ ...first, metrics: this.metricsAddress }, fields);
    else this.logger.info(fields, "karbon listening");
  }

  /** Dead letters summed over the live workers (a worker that does not answer in time is left out). */
  private deadLetters(): Promise<{ total: number; names: Map<string, number> }> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const id = this.nextId++;
    return new Promise((resolve) => {
      const entry = { names: new Map<string, number>(), total: 0, pending: workers.length, done: () => {} };
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(entry);
      };
      const timer = setTimeout(finish, 2000);
      entry.done = finish;
      this.waiting.set(id, entry);
      if (workers.length === 0) finish();
      for (const w of workers) w.send({ karbon: "dead-letters", id } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    await this.http?.close();
    this.http = null;
  }
}
