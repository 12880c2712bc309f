import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RelayStats } from "../timeseries/index.js";
import type { SpoolStats } from "./spool/store-spool.js";

/**
 * karbon's self-metrics. The hot path bumps plain numbers; prom-client
 * reads them when scraped, so a point costs an addition, not a label lookup.
 */
export class KarbonMetrics {
  readonly registry = new Registry();
  pointsReceived = 0;
  readonly badLines = new Map<string, number>();
  deadLetters = 0;
  /** Dead letters by name, bounded: the names an operator needs to add a schema for. */
  readonly deadLetterNames = new Map<string, number>();
  /** Cumulative counts by schema and by aggregate rule (the dispatcher adds its own live counts on scrape). */
  readonly storedBySchema = new Map<string, number>();
  readonly emittedByRule = new Map<string, number>();
  /** Live counts of the current dispatcher, read at scrape time. */
  live: { stored(): Iterable<[string, number]>; emitted(): Iterable<[string, number]> } = { stored: () => [], emitted: () => [] };
  readonly flushSeconds: Histogram<"store">;
  readonly flushFailures: Counter<"store">;
  /** Rows (cells, histogram members, set members, series values) written, by store: what a flush costs the store. */
  readonly rowsWritten: Counter<"store">;
  /** Rows a store refused for good (isolated from their flush and dropped), by store and reason. */
  readonly rejectedRows: Counter<"store" | "reason">;
  private readonly depth = new Map<string, () => number>();
  /** Relay stores (carbon://, carbon+pickle://) by URL, read at scrape time. */
  private readonly relays = new Map<string, () => RelayStats>();
  /** Disk spools by store URL, read at scrape time. */
  private readonly spools = new Map<string, () => SpoolStats>();
  /** TCP connections refused, by reason (`max_connections`, `accept_error`), and closed for idleness. */
  readonly connectionsRefused = new Map<string, number>();
  connectionsIdleClosed = 0;
  /** Open TCP connections, read at scrape time. */
  openConnections: () => number = () => 0;
  private readonly deadNameLimit: number;

  constructor(options: { deadNameLimit?: number } = {}) {
    this.deadNameLimit = options.deadNameLimit ?? 10_000;
    // Memory, CPU, event-loop lag and GC: what an operator checks when ingest slows down.
    collectDefaultMetrics({ register: this.registry, prefix: "karbon_" });
    // prom-client calls collect() with the metric as `this`: read our numbers through arrow functions.
    const depth = this.depth;
    const counterFrom = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const labelled = <L extends string>(name: string, help: string, label: L, map: Map<string, number>, live: () => Iterable<[string, number]> = () => []) =>
      new Counter<L>({
        name,
        help,
        labelNames: [label],
        registers: [this.registry],
        collect() {
          this.reset();
          const totals = new Map(map);
          for (const [k, v] of live()) totals.set(k, (totals.get(k) ?? 0) + v);
          for (const [k, v] of totals) this.inc({ [label]: k } as Record<L, string>, v);
        },
      });
    counterFrom("karbon_points_received_total", "Lines parsed into points", () => this.pointsReceived);
    labelled("karbon_bad_lines_total", "Lines skipped as bad input, by reason", "reason", this.badLines);
    counterFrom("karbon_dead_letters_total", "Names that matched no schema", () => this.deadLetters);
    labelled("karbon_points_stored_total", "Points staged for storage, by schema", "schema", this.storedBySchema, () => this.live.stored());
    labelled("karbon_aggregates_emitted_total", "Rollup points emitted, by aggregate rule", "rule", this.emittedByRule, () => this.live.emitted());
    labelled("karbon_connections_refused_total", "TCP connections refused at once, by reason", "reason", this.connectionsRefused);
    counterFrom("karbon_connections_idle_closed_total", "TCP connections closed after TCP_IDLE_TIMEOUT without input", () => this.connectionsIdleClosed);
    const open = () => this.openConnections();
    new Gauge({
      name: "karbon_connections",
      help: "Open TCP connections",
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
    new Gauge<"store">({
      name: "karbon_buffer_rows",
      help: "Rows waiting in the write buffer, by store",
      labelNames: ["store"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [store, read] of depth) this.set({ store }, read());
      },
    });
    const relays = this.relays;
    const perRelay = (name: string, help: string, read: (s: RelayStats) => number, kind: "counter" | "gauge") => {
      // One collect for both kinds: a gauge is set to the reading, a (reset) counter raised to it.
      const collect = function (this: Gauge<"store"> | Counter<"store">) {
        this.reset();
        for (const [store, stats] of relays) {
          const value = read(stats());
          if (this instanceof Gauge) this.set({ store }, value);
          else this.inc({ store }, value);
        }
      };
      const config = { name, help, labelNames: ["store"] as const, registers: [this.registry], collect };
      if (kind === "gauge") new Gauge<"store">(config);
      else new Counter<"store">(config);
    };
    perRelay("karbon_relay_points_sent_total", "Points a relay store delivered to Carbon (written and held on an open connection), by store", (s) => s.sent, "counter");
    perRelay("karbon_relay_points_resent_total", "Points a relay store wrote again after their connection failed, by store", (s) => s.resent, "counter");
    perRelay("karbon_relay_points_queued", "Points a relay store holds: waiting, or written and not yet counted sent, by store", (s) => s.queued, "gauge");
    perRelay("karbon_relay_connected", "1 while a relay store is connected to its Carbon receiver, by store", (s) => (s.connected ? 1 : 0), "gauge");
    new Counter<"store" | "reason">({
      name: "karbon_relay_points_dropped_total",
      help: "Points a relay store could not forward, by store and reason (not_numeric, bad_name, shutdown)",
      labelNames: ["store", "reason"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [store, stats] of relays) for (const [reason, n] of Object.entries(stats().dropped)) this.inc({ store, reason }, n);
      },
    });
    const spools = this.spools;
    const perSpool = (name: string, help: string, read: (s: SpoolStats) => number, kind: "counter" | "gauge") => {
      const Metric = kind === "gauge" ? Gauge : Counter;
      new Metric<"store">({
        name,
        help,
        labelNames: ["store"],
        registers: [this.registry],
        collect(this: Gauge<"store"> | Counter<"store">) {
          this.reset();
          for (const [store, stats] of spools) {
            const v = read(stats());
            if (this instanceof Gauge) this.set({ store }, v);
            else this.inc({ store }, v);
          }
        },
      });
    };
    perSpool("karbon_spool_bytes", "Bytes of spool segments on disk, by store", (s) => s.bytes, "gauge");
    perSpool("karbon_spool_records", "Spooled batches not yet replayed, by store", (s) => s.records, "gauge");
    perSpool("karbon_spool_appended_points_total", "Points written to the spool (a store down or the buffer past half full), by store", (s) => s.appendedPoints, "counter");
    perSpool("karbon_spool_replayed_points_total", "Points replayed from the spool into their store (rate(): the replay rate), by store", (s) => s.replayedPoints, "counter");
    perSpool("karbon_spool_replayed_records_total", "Spooled batches replayed into their store, by store", (s) => s.replayedRecords, "counter");
    perSpool("karbon_spool_torn_records_total", "Spool records dropped unreplayed: torn by a crash mid-append, or failing their checksum, by store", (s) => s.torn, "counter");
    perSpool("karbon_spool_full_total", "Appends the spool refused because it was at SPOOL_MAX_MB (the batch stays in memory), by store", (s) => s.refused, "counter");
    this.flushSeconds = new Histogram({
      name: "karbon_flush_seconds",
      help: "Time to write one flush to its store",
      labelNames: ["store"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.rowsWritten = new Counter({ name: "karbon_rows_written_total", help: "Rows upserted into stores (after merging in the write buffer), by store", labelNames: ["store"], registers: [this.registry] });
    this.rejectedRows = new Counter({
      name: "karbon_rejected_rows_total",
      help: "Rows a store refused for good (isolated from their flush and dropped, the rest written), by store and reason",
      labelNames: ["store", "reason"],
      registers: [this.registry],
    });
    this.flushFailures = new Counter({ name: "karbon_flush_failures_total", help: "Flushes that failed: retried later, or (refused by the store) split to isolate the refused rows", labelNames: ["store"], registers: [this.registry] });
  }

  /** Fold a retiring dispatcher's live counts into the totals (on reload). */
  retire(): void {
    for (const [k, v] of this.live.stored()) this.storedBySchema.set(k, (this.storedBySchema.get(k) ?? 0) + v);
    for (const [k, v] of this.live.emitted()) this.emittedByRule.set(k, (this.emittedByRule.get(k) ?? 0) + v);
    this.live = { stored: () => [], emitted: () => [] };
  }

  bad(reason: string): void {
    this.badLines.set(reason, (this.badLines.get(reason) ?? 0) + 1);
  }

  dead(name: string): void {
    this.deadLetters++;
    const n = this.deadLetterNames.get(name);
    if (n !== undefined) this.deadLetterNames.set(name, n + 1);
    else if (this.deadLetterNames.size < this.deadNameLimit) this.deadLetterNames.set(name, 1);
  }

  watchBuffer(store: string, rows: () => number): void {
    this.depth.set(store, rows);
  }

  watchSpool(store: string, stats: () => SpoolStats): void {
    this.spools.set(store, stats);
  }

  watchRelay(store: string, stats: () => RelayStats): void {
    this.relays.set(store, stats);
  }
}
