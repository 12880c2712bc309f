import { ErrorCodes, TorusError, quote } from "../errors.js";
import type { Store } from "../store.js";
import { redactUrl, schemeOf } from "./url.js";

/** Opens a store for a URL of its scheme; `clientConfig` goes to the driver untouched. */
export type StoreFactory = (url: string, clientConfig: Record<string, unknown>) => Promise<Store>;

/**
 * Backends by URL scheme, loaded on first use so a SQLite-only deployment
 * never loads a network driver.
 */
const BACKENDS: Record<string, () => Promise<StoreFactory>> = {
  sqlite: async () => {
    const { SqliteStore } = await import("./sqlite/sqlite-store.js");
    return async (url, config) => new SqliteStore(url, config);
  },
  postgresql: async () => (await import("./postgres/postgres-store.js")).openPostgresStore,
  postgres: async () => (await import("./postgres/postgres-store.js")).openPostgresStore,
  mysql: async () => (await import("./mysql/mysql-store.js")).openMysqlStore,
  redis: async () => (await import("./redis/redis-store.js")).openRedisStore,
  rediss: async () => (await import("./redis/redis-store.js")).openRedisStore,
  "redis-cluster": async () => (await import("./redis/redis-store.js")).openRedisStore,
  "rediss-cluster": async () => (await import("./redis/redis-store.js")).openRedisStore,
  // Relays: points forwarded to a Carbon receiver, not stored.
  carbon: async () => (await import("./carbon/carbon-store.js")).openCarbonRelayStore,
  "carbon+pickle": async () => (await import("./carbon/carbon-store.js")).openCarbonRelayStore,
};

/** Schemes kairos had that this version leaves out on purpose. */
const NOT_IN_THIS_VERSION = new Set(["mongodb", "mongodb+srv", "cassandra"]);

/** Register a backend for a scheme (the server backends add themselves here). */
export function registerBackend(scheme: string, load: () => Promise<StoreFactory>): void {
  BACKENDS[scheme.toLowerCase()] = load;
}

/** Check a URL names a backend this version has, without connecting. */
export function checkStoreUrl(url: unknown, field = "host"): string {
  const scheme = schemeOf(url, field);
  if (NOT_IN_THIS_VERSION.has(scheme)) {
    throw new TorusError(ErrorCodes.UNSUPPORTED_URL, `${field}: ${scheme}:// storage is not supported in this version (use sqlite, redis, redis-cluster, postgresql or mysql)`, {
      field,
      value: redactUrl(url as string),
    });
  }
  if (!BACKENDS[scheme]) {
    throw new TorusError(ErrorCodes.UNSUPPORTED_URL, `${field}: unsupported storage URL ${quote(redactUrl(url as string))} (supported: ${Object.keys(BACKENDS).map((s) => `${s}://`).join(", ")})`, {
      field,
      value: redactUrl(url as string),
    });
  }
  return scheme;
}

/**
 * Opens stores and shares them: schemas naming the same URL get the same
 * client. Owned by whoever composes the application, closed with it.
 */
export class StoreRegistry {
  private readonly stores = new Map<string, Promise<Store>>();

  /** `defaults`: client_config per URL scheme, under what each schema gives (e.g. `{ sqlite: { cache_mb: 16 } }`). */
  constructor(private readonly defaults: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {}) {}

  open(url: string, clientConfig: Record<string, unknown> = {}, field = "host"): Promise<Store> {
    const scheme = checkStoreUrl(url, field);
    let store = this.stores.get(url);
    if (!store) {
      const merged = { ...this.defaults[scheme], ...clientConfig };
      store = BACKENDS[scheme]().then((factory) => factory(url, merged));
      this.stores.set(url, store);
      store.catch(() => this.stores.delete(url));
    }
    return store;
  }

  async closeAll(): Promise<void> {
    const all = [...this.stores.values()];
    this.stores.clear();
    await Promise.allSettled(all.map(async (s) => (await s).close()));
  }
}

/** Open one store outside any registry (tools and tests). */
export async function openStore(url: string, clientConfig: Record<string, unknown> = {}): Promise<Store> {
  const scheme = checkStoreUrl(url);
  return (await BACKENDS[scheme]())(url, clientConfig);
}
