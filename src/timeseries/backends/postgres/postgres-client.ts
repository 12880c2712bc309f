import { createHash } from "node:crypto";
import pg from "pg";
import type { Query, SqlClient, SqlSession } from "../sql/sql-dialect.js";

/** Defaults a caller's `client_config` may override: never wait forever for a connection. */
const DEFAULTS: pg.PoolConfig = {
  connectionTimeoutMillis: 10_000,
  // TCP keepalive after 10 s idle (not the OS's 2 h): a vanished server fails a query instead of hanging it.
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  max: 10,
};

/** BIGINT (oid 20) as a JS number: bucket starts and counts stay far below 2^53. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 && format !== "binary" ? Number : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** Statement names for prepared texts, shared by every pool: one name per distinct text. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let n = names.get(text);
  if (n === undefined) names.set(text, (n = `torus_${names.size}`));
  return n;
}

function toConfig(q: Query): pg.QueryArrayConfig {
  return { text: q.text, values: q.values as unknown[], rowMode: "array", name: q.prepare ? statementName(q.text) : undefined };
}

async function run(c: pg.Pool | pg.PoolClient, q: Query): Promise<unknown[][]> {
  const res = await c.query(toConfig(q));
  if (q.affected) return [[res.rowCount ?? 0]];
  return (res.rows ?? []) as unknown[][];
}

/** The `pg` pool behind the SQL store seam. */
export class PostgresClient implements SqlClient {
  readonly handle: pg.Pool;

  constructor(url: string, clientConfig: Record<string, unknown>) {
    this.handle = new pg.Pool({ ...DEFAULTS, types, ...(clientConfig as pg.PoolConfig), connectionString: url });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    this.handle.on("error", () => {});
  }

  query(q: Query): Promise<unknown[][]> {
    return run(this.handle, q);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.handle.connect();
    // The pool stops listening to a client it has handed out: a connection lost between two
    // statements would be an uncaught 'error' and crash the process. The next statement fails instead.
    const ignore = (): void => {};
    client.on("error", ignore);
    const release = (err?: Error) => {
      client.removeListener("error", ignore);
      client.release(err);
    };
    try {
      await client.query("BEGIN");
      const out = await fn({ query: (q) => run(client, q) });
      await client.query("COMMIT");
      release();
      return out;
    } catch (err) {
      // A connection whose ROLLBACK fails is in an unknown state: discard it rather than pool it.
      await client.query("ROLLBACK").then(
        () => release(),
        (e: Error) => release(e),
      );
      throw err;
    }
  }

  /** A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, and DDL commits with it. */
  exclusive<T>(key: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const lockId = createHash("sha1").update(key).digest().readBigInt64BE(0).toString();
    return this.transaction(async (s) => {
      await s.query({ text: "SELECT pg_advisory_xact_lock($1::int8)", values: [lockId] });
      return fn(s);
    });
  }

  async close(): Promise<void> {
    await this.handle.end();
  }
}
