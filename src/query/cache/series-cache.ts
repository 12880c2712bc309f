import type { Runtime } from "../../runtime/runtime.js";
import type { Store } from "../../timeseries/index.js";
import { Lru } from "./lru.js";
import type { QueryMetrics } from "../http/query-metrics.js";
import type { ResolvedStat } from "../resolve/resolve-stat.js";

interface Entry {
  /** The change tokens of the stores read, taken before the read. */
  token: string;
  body: Buffer;
}

/**
 * `/series` responses by fully resolved request (stat expressions, schema,
 * interval, bucket range, format, condense/collapse), as dashboards repeat
 * them every few seconds. An entry is served only while every store it read
 * reports the change token it had before the read, so a commit by anyone —
 * karbon in another process, `/insert`, `DELETE /series`, an expiry — makes
 * the next request recompute. A request touching a store without a token, or
 * a macro marked `cache: false`, is not cached. A reloaded configuration
 * (new functions, schemas or bounds) starts an empty cache.
 */
export class SeriesCache {
  private lru: Lru<string, Entry> | null = null;
  private runtime: Runtime | null = null;

  constructor(private readonly metrics: QueryMetrics | null = null) {}

  /** The cache for this runtime, emptied and resized when the runtime changed; null when configured off. */
  private forRuntime(runtime: Runtime): Lru<string, Entry> | null {
    if (runtime !== this.runtime) {
      this.runtime = runtime;
      const { queryCache, queryCacheBytes } = runtime.config;
      this.lru = queryCache > 0 && queryCacheBytes > 0 ? new Lru(queryCache, queryCacheBytes) : null;
    }
    return this.lru;
  }

  /**
   * Serve from the cache or compute and keep. The token is read before
   * `compute` runs: a write landing during the read leaves an entry under the
   * older token, which the next request then finds stale — never the reverse.
   */
  async through(runtime: Runtime, resolved: readonly ResolvedStat[], compute: () => Promise<string>): Promise<Buffer | string> {
    const lru = this.forRuntime(runtime);
    const token = lru ? tokenOf(resolved) : null;
    if (lru === null || token === null) return compute();
    const key = keyOf(resolved);
    const hit = lru.get(key);
    if (hit !== undefined && hit.token === token) {
      this.metrics?.cacheHits.inc();
      return hit.body;
    }
    this.metrics?.cacheMisses.inc();
    const body = Buffer.from(await compute());
    // Another request may have replaced the entry meanwhile; the later read wins either way.
    lru.set(key, { token, body }, body.length + key.length * 2);
    return body;
  }

  get entries(): number {
    return this.lru?.size ?? 0;
  }
}

/** What determines a response once the configuration is fixed: everything resolved, nothing of the raw URL. */
export function keyOf(resolved: readonly ResolvedStat[]): string {
  return JSON.stringify(
    resolved.map((r) => {
      const b = r.buckets;
      const fold = (v: unknown) => (typeof v === "function" ? "fn" : Boolean(v));
      return [r.stat, r.schema?.compiled.name ?? null, r.interval?.name ?? null, b.length ? b[0] : null, b.length ? b[b.length - 1] : null, b.length, r.format, fold(r.read.condense), fold(r.read.collapse)];
    }),
  );
}

/** Change tokens of every store the request reads, or null when one of them has none (or a stat opts out). */
export function tokenOf(resolved: readonly ResolvedStat[]): string | null {
  const stores: Store[] = [];
  let token = "";
  for (const r of resolved) {
    if (!r.cacheable) return null;
    // A stat with no schema or no buckets reads nothing: its (empty) answer depends on the configuration only.
    if (!r.schema || r.buckets.length === 0) continue;
    const store = r.schema.store;
    if (stores.includes(store)) continue;
    if (typeof store.changeToken !== "function") return null;
    stores.push(store);
    token += `${store.changeToken()};`;
  }
  return token;
}
