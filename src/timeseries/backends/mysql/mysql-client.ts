import mysql from "mysql2/promise";
import type { Query, SqlClient, SqlSession } from "../sql/sql-dialect.js";

/** Defaults a caller's `client_config` may override: never wait forever for a connection. */
const DEFAULTS: mysql.PoolOptions = {
  connectTimeout: 10_000,
  connectionLimit: 10,
  // TCP keepalive after 10 s idle (not the OS's 2 h): a vanished server fails a query instead of hanging it.
  enableKeepAlive: true,
  keepAliveInitialDelay: 10_000,
};

/** Seconds to wait for another process creating the same tables. */
const LOCK_WAIT = 30;

type Runner = Pick<mysql.Pool, "query">;

/**
 * Every string parameter as bytes, which mysql2 sends as a hex literal
 * (`X'666f6f'`). Its client-side escaping of strings relies on backslashes,
 * which a server in `NO_BACKSLASH_ESCAPES` mode reads as plain characters:
 * a name like `') OR 1=1 -- ` would end the literal and run as SQL. A hex
 * literal means the same bytes in every `sql_mode`, and every text column
 * of the store is binary (VARBINARY/BLOB), so nothing else changes.
 */
function asBytes(v: unknown): unknown {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (Array.isArray(v)) return v.map(asBytes);
  return v;
}

async function run(c: Runner, q: Query): Promise<unknown[][]> {
  const [rows] = await c.query({ sql: q.text, values: q.values.map(asBytes), rowsAsArray: true });
  if (q.affected) return [[(rows as mysql.ResultSetHeader).affectedRows]];
  return Array.isArray(rows) ? (rows as unknown as unknown[][]) : [];
}

/** The `mysql2` pool behind the SQL store seam. */
export class MysqlClient implements SqlClient {
  readonly handle: mysql.Pool;

  constructor(url: string, clientConfig: Record<string, unknown>) {
    this.handle = mysql.createPool({ ...DEFAULTS, ...(clientConfig as mysql.PoolOptions), uri: url });
    // READ COMMITTED: each statement sees rows other writers committed (interning looks names up
    // again after inserting them), and upserts take no gap locks, so concurrent flushes deadlock less.
    // The event hands over the callback-style connection; the statement runs before any other on it.
    this.handle.on("connection", (conn) => {
      (conn as unknown as { query(sql: string, cb: (err: unknown) => void): void }).query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", () => {});
    });
  }

  query(q: Query): Promise<unknown[][]> {
    return run(this.handle, q);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const conn = await this.handle.getConnection();
    try {
      await conn.query("START TRANSACTION");
      const out = await fn({ query: (q) => run(conn, q) });
      await conn.query("COMMIT");
      conn.release();
      return out;
    } catch (err) {
      // A connection whose ROLLBACK fails is in an unknown state: close it rather than pool it.
      await conn.query("ROLLBACK").then(
        () => conn.release(),
        () => conn.destroy(),
      );
      throw err;
    }
  }

  /** A named server lock (GET_LOCK), held by one connection: DDL in MySQL commits on its own. */
  async exclusive<T>(key: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const conn = await this.handle.getConnection();
    try {
      const [[got]] = await run(conn, { text: "SELECT GET_LOCK(?, ?)", values: [key, LOCK_WAIT] });
      if (Number(got) !== 1) throw new Error(`timed out after ${LOCK_WAIT}s waiting for lock ${key} (another process creating tables?)`);
      const out = await fn({ query: (q) => run(conn, q) });
      await run(conn, { text: "SELECT RELEASE_LOCK(?)", values: [key] });
      conn.release();
      return out;
    } catch (err) {
      // Closing the connection frees the lock too, whatever state it is in.
      conn.destroy();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.handle.end();
  }
}
