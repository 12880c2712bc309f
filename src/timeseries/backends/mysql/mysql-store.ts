import { SqlStore } from "../sql/sql-store.js";
import { MysqlClient } from "./mysql-client.js";
import { mysqlDialect } from "./mysql-dialect.js";

/**
 * Opens a MySQL or MariaDB store for `mysql://user:pw@host:port/db`;
 * `clientConfig` goes to the `mysql2` pool. Connects once before returning,
 * so wrong credentials or an unreachable host fail at startup with a
 * StoreError that names the URL without its password.
 */
export async function openMysqlStore(url: string, clientConfig: Record<string, unknown> = {}): Promise<SqlStore> {
  return SqlStore.open(url, mysqlDialect, new MysqlClient(url, clientConfig));
}
