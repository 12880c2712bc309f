import { nameCacheBytes } from "../name-cache.js";
import { postgresEvents } from "./postgres-events.js";
import { SqlStore } from "../sql/sql-store.js";
import { redactUrl } from "../url.js";
import { PostgresClient } from "./postgres-client.js";
import { postgresDialect } from "./postgres-dialect.js";

/**
 * Opens a PostgreSQL store for `postgresql://user:pw@host:port/db` (or
 * `postgres://`); `clientConfig` goes to the `pg` pool. Connects once before
 * returning, so wrong credentials or an unreachable host fail at startup
 * with a StoreError that names the URL without its password.
 */
export async function openPostgresStore(url: string, clientConfig: Record<string, unknown> = {}): Promise<SqlStore> {
  // Settings of the store itself; the rest is the driver's.
  const options = { nameCacheBytes: nameCacheBytes(clientConfig, redactUrl(url)), events: postgresEvents };
  const { name_cache_mb: _, ...driver } = clientConfig;
  return SqlStore.open(url, postgresDialect, new PostgresClient(url, driver), options);
}
