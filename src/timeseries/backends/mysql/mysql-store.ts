import { nameCacheBytes } from "../name-cache.js";
import { mysqlEvents } from "./mysql-events.js";
import { SqlStore } from "../sql/sql-store.js";
import { redactUrl } from "../url.js";
import { MysqlClient } from "./mysql-client.js";
import { mysqlDialect } from "./mysql-dialect.js";

/**
 * Opens a MySQL or MariaDB store for `mysql://user:pw@host:port/db`;
 * `clientConfig` goes to the `mysql2` pool, but for `name_cache_mb` (the
 * bound of the name-id cache, default 64). Connects once before returning,
 * so wrong credentials or an unreachable host fail at startup with a
 * StoreError that names the URL without its password.
 */
export async function openMysqlStore(url: string, clientConfig: Record<string, unknown> = {}): Promise<SqlStore> {
  // Settings of the store itself; the rest is the driver's.
  const options = { nameCacheBytes: nameCacheBytes(clientConfig, redactUrl(url)), events: mysqlEvents };
  const { name_cache_mb: _, ...driver } = clientConfig;
  return SqlStore.open(url, mysqlDialect, new MysqlClient(url, driver), options);
}
