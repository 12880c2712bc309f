/**
 * The default NameSource: every schema's stored names in one NameIndex,
 * kept current in the background.
 *
 * Schemas that read the same store, prefix and type share one listing (one
 * trie in the index). Each check (every `checkMs`):
 * - a store with a change token whose token has not moved is skipped (the
 *   common case when nothing is written);
 * - a store that lists incrementally (`listAfter`) adds the names first
 *   stored since the last check — cheap at any size, so a name karbon
 *   stores is findable within a check or two;
 * - a full listing (which also drops deleted names) is paced by what the
 *   last one cost: it starts no sooner than `cost / share` after the last
 *   one began, so full listings take at most `share` of one core (a listing
 *   of a million names costs about a second). Stores with `listAfter` are
 *   listed in full at most every `fullEveryMs` besides.
 * A listing that fails or times out leaves the last names in place; the
 * failure is logged once and counted, and the next check tries again.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { NameIndex } from "../../graphite/name-index.js";
import type { Logger } from "../../logging/logger.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { Namespace, Store } from "../../timeseries/index.js";
import type { NameSource } from "./graphite-data.js";

export interface StoreNameSourceOptions {
  runtime: () => Runtime;
  logger?: Logger | null;
  /** Where the refresh metrics are registered (none when omitted). */
  registry?: Registry | null;
  /** Milliseconds between two checks for new names (default 1,000). */
  checkMs?: number;
  /** Most share of one core full listings may take (default 0.05). */
  share?: number;
  /** Longest time between full listings of a store that lists incrementally, ms (default 300,000). */
  fullEveryMs?: number;
  /** Longest a listing may take before it counts as failed, ms (default 30,000). */
  timeoutMs?: number;
}

/** One listing: a store namespace read by one or more schemas. */
interface Group {
  readonly key: string;
  readonly store: Store;
  readonly ns: Namespace;
  /** The token seen when the index last caught up with the store (undefined: never, or no token). */
  token: string | undefined;
  /** The token seen when the last full listing began (a full listing is only due if it moved since). */
  fullToken: string | undefined;
  /** `listAfter`'s cursor after the last listing; null before the first full listing. */
  cursor: number | null;
  listed: boolean;
  attempted: boolean;
  /** performance.now() before which no full listing starts. */
  nextFullAt: number;
  failing: boolean;
  /** A listing still running after its timeout; the group waits for it to settle. */
  stuck: Promise<unknown> | null;
}

class ListingTimeout extends Error {}

/** Names per `listAfter` page (about 15 ms of work for SQLite). */
const PAGE = 20_000;

function metric<T>(registry: Registry | null | undefined, name: string, make: (registers: Registry[]) => T): T {
  const known = registry?.getSingleMetric(name);
  return (known as T | undefined) ?? make(registry ? [registry] : []);
}

export class StoreNameSource implements NameSource {
  private readonly names = new NameIndex();
  private readonly groups = new Map<string, Group>();
  private readonly checkMs: number;
  private readonly share: number;
  private readonly fullEveryMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private fullCount = 0;
  private incrementalCount = 0;
  private readonly firstPass: Promise<void>;
  private firstPassComplete = false;
  private firstPassDone!: () => void;
  private readonly refreshes: Counter<"kind">;
  private readonly failures: Counter;
  private readonly indexed: Gauge;
  private readonly lastFullSeconds: Gauge;

  constructor(private readonly options: StoreNameSourceOptions) {
    this.checkMs = options.checkMs ?? 1000;
    this.share = options.share ?? 0.05;
    this.fullEveryMs = options.fullEveryMs ?? 300_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.firstPass = new Promise((resolve) => (this.firstPassDone = resolve));
    const reg = options.registry;
    this.refreshes = metric(reg, "torus_name_refreshes_total", (registers) => new Counter({ name: "torus_name_refreshes_total", help: "Name listings read into the find index, by kind (full, incremental)", labelNames: ["kind"], registers }));
    this.failures = metric(reg, "torus_name_refresh_failures_total", (registers) => new Counter({ name: "torus_name_refresh_failures_total", help: "Name listings that failed or timed out (find answers from the last listing)", registers }));
    this.indexed = metric(reg, "torus_name_index_names", (registers) => new Gauge({ name: "torus_name_index_names", help: "Names in the find index, summed over store listings", registers }));
    this.lastFullSeconds = metric(reg, "torus_name_refresh_last_full_seconds", (registers) => new Gauge({ name: "torus_name_refresh_last_full_seconds", help: "How long the last full name listing took", registers }));
    this.running = this.pass();
  }

  index(): NameIndex {
    return this.names;
  }

  ready(): Promise<void> {
    return this.firstPass;
  }

  /**
   * Every listing of the current schemas is done and incremental, and no store has a name first stored
   * after its cursor: one `listAfter(…, 1)` per store (microseconds for SQLite). Names deleted by
   * another process are not noticed here (nor by find): they go at the next full listing.
   */
  async caughtUp(): Promise<boolean> {
    if (!this.firstPassComplete) return false;
    for (const schema of this.options.runtime().schemas) {
      const ns = schema.series.ns;
      const g = this.groups.get(`${schema.store.url}\u0000${ns.prefix}\u0000${ns.type}`);
      if (!g || g.store !== schema.store || !g.listed || g.cursor === null || typeof g.store.listAfter !== "function") return false;
      if ((await g.store.listAfter(g.ns, g.cursor, 1)).names.length > 0) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.firstPassDone();
    await this.running;
  }

  /** Make the next check list every store in full, whatever the pacing says (benchmarks, tests). */
  forceFullListing(): void {
    for (const g of this.groups.values()) {
      g.nextFullAt = 0;
      g.token = undefined;
      g.fullToken = undefined;
    }
  }

  /** Full and incremental listings done so far (all groups). */
  listings(): { full: number; incremental: number } {
    return { full: this.fullCount, incremental: this.incrementalCount };
  }

  /** One check of every listing, then the next is scheduled. */
  private async pass(): Promise<void> {
    try {
      this.syncGroups();
      for (const group of this.groups.values()) {
        if (this.closed) break;
        await this.refresh(group);
      }
    } catch (err) {
      // Reading the runtime or the index itself failed: nothing a store did.
      this.options.logger?.error({ err: String((err as Error)?.message ?? err) }, "name index refresh failed");
    } finally {
      this.indexed.set(this.names.size());
      if ([...this.groups.values()].every((g) => g.attempted)) {
        this.firstPassComplete = true;
        this.firstPassDone();
      }
      if (!this.closed) {
        this.timer = setTimeout(() => (this.running = this.pass()), this.checkMs);
        this.timer.unref();
      }
    }
  }

  /** Follow reloads: one group per (store, prefix, type) of the current schemas; gone ones are dropped. */
  private syncGroups(): void {
    const wanted = new Map<string, { store: Store; ns: Namespace }>();
    for (const schema of this.options.runtime().schemas) {
      const ns = schema.series.ns;
      wanted.set(`${schema.store.url}\u0000${ns.prefix}\u0000${ns.type}`, { store: schema.store, ns });
    }
    for (const key of this.groups.keys()) {
      if (!wanted.has(key)) {
        this.groups.delete(key);
        this.names.drop(key);
      }
    }
    for (const [key, { store, ns }] of wanted) {
      const known = this.groups.get(key);
      // A reload may open the store again under the same URL: follow the new client.
      if (known && known.store === store) continue;
      this.groups.set(key, { key, store, ns, token: undefined, fullToken: undefined, cursor: null, listed: false, attempted: false, nextFullAt: 0, failing: false, stuck: null });
    }
  }

  private async refresh(g: Group): Promise<void> {
    if (g.stuck) return;
    const started = performance.now();
    try {
      const token = g.store.changeToken?.();
      const fullDue = !g.listed || (started >= g.nextFullAt && (token === undefined || token !== g.fullToken));
      if (!fullDue && g.listed && token !== undefined && token === g.token) return;
      const incremental = typeof g.store.listAfter === "function";
      if (fullDue) {
        await this.full(g, incremental);
        g.fullToken = token;
        const cost = performance.now() - started;
        this.lastFullSeconds.set(cost / 1000);
        // Next full listing no sooner than cost/share after this one began.
        const gap = Math.max(this.checkMs, cost / this.share);
        g.nextFullAt = started + (incremental && token !== undefined ? Math.max(this.fullEveryMs, gap) : gap);
      } else if (incremental && g.cursor !== null) {
        g.cursor = await this.pages(g, g.cursor, (names) => void this.names.add(names, g.key));
        this.refreshes.labels("incremental").inc();
        this.incrementalCount++;
      } else {
        return; // no cheap way: wait for the paced full listing (the token stays old, so it is seen then)
      }
      g.token = token;
      g.listed = true;
      if (g.failing) this.options.logger?.info({ store: g.store.url, prefix: g.ns.prefix, type: g.ns.type }, "name listing works again");
      g.failing = false;
    } catch (err) {
      this.failures.inc();
      if (!g.failing) this.options.logger?.warn({ store: g.store.url, prefix: g.ns.prefix, type: g.ns.type, err: String((err as Error)?.message ?? err) }, "name listing failed; find answers from the last listing");
      g.failing = true;
    } finally {
      g.attempted = true;
    }
  }

  private async full(g: Group, incremental: boolean): Promise<void> {
    if (incremental) {
      const all: string[] = [];
      const cursor = await this.pages(g, 0, (names) => {
        for (const name of names) all.push(name);
      });
      await this.names.replaceAsync(g.key, all);
      g.cursor = cursor;
    } else {
      await this.names.replaceAsync(g.key, await this.bounded(g, g.store.list(g.ns)));
    }
    this.refreshes.labels("full").inc();
    this.fullCount++;
  }

  /**
   * `listAfter` page by page from `after`, each page handed to `take`, the
   * event loop turning between pages: one query reading a million names
   * would hold it for most of a second. Returns the cursor after the last page.
   */
  private async pages(g: Group, after: number, take: (names: string[]) => void): Promise<number> {
    let cursor = after;
    for (;;) {
      const page = await this.bounded(g, g.store.listAfter!(g.ns, cursor, PAGE));
      if (page.names.length > 0) take(page.names);
      cursor = page.next;
      if (page.names.length < PAGE || this.closed) return cursor;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The listing, or a ListingTimeout after `timeoutMs`; a timed-out listing blocks its group until it settles. */
  private bounded<T>(g: Group, listing: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ListingTimeout(`listing took more than ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    return Promise.race([listing, timeout]).then(
      (v) => {
        clearTimeout(timer);
        return v;
      },
      (err) => {
        clearTimeout(timer);
        if (err instanceof ListingTimeout) {
          g.stuck = listing.then(() => undefined, () => undefined).finally(() => (g.stuck = null));
        }
        throw err;
      },
    );
  }
}
