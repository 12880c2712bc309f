import { describe, expect, it } from "vitest";
import { StoreError } from "../../errors.js";
import { openStore } from "../open-store.js";
import { sqlStoreSuite } from "../../testing/sql-store-suite.js";
import { sqlConformance } from "../../testing/sql-test-target.js";
import type pg from "pg";
import { expireIndexName, postgresDialect } from "./postgres-dialect.js";
import { openPostgresStore } from "./postgres-store.js";

const env = process.env.TORUS_TEST_POSTGRES_URL;
// A trust-auth test server: the superuser is `postgres` on most installs, `root` on some images.
const urls = env ? [env] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"];

const url = await sqlConformance({ label: "PostgreSQL", urls, envVar: "TORUS_TEST_POSTGRES_URL", open: (u) => openPostgresStore(u) });

if (url) {
  sqlStoreSuite({
    label: "PostgreSQL",
    url,
    dialect: postgresDialect,
    open: (u, config) => openPostgresStore(u, config),
    victim: async () => {
      const name = `torus_victim_${process.pid}`;
      const store = await openPostgresStore(url, { application_name: name });
      const kill = async () => {
        const admin = await openPostgresStore(url);
        try {
          await (admin.handle as pg.Pool).query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]);
        } finally {
          await admin.close();
        }
      };
      return { store, kill };
    },
    hold: async (store, table) => {
      const c = await (store.handle as pg.Pool).connect();
      await c.query("BEGIN");
      await c.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
      return async () => {
        await c.query("ROLLBACK");
        c.release();
      };
    },
    expireIndex: {
      drop: async (store, prefix, type) => {
        await (store.handle as pg.Pool).query(`DROP INDEX ${postgresDialect.ident(expireIndexName(store.bareTable(prefix, type), 63))}`);
      },
      present: async (store, prefix, type) => {
        const { rows } = await (store.handle as pg.Pool).query("SELECT indexdef FROM pg_indexes WHERE indexname = $1 AND tablename = $2", [
          expireIndexName(store.bareTable(prefix, type), 63),
          store.bareTable(prefix, type),
        ]);
        return rows.length === 1 && /\(interval_id, bucket\)/.test(String(rows[0].indexdef));
      },
      explain: async (store, prefix, type, q) => {
        const pool = store.handle as pg.Pool;
        await pool.query(`ANALYZE ${store.tables(prefix)[type]}`);
        const { rows } = await pool.query(`EXPLAIN ${q.text}`, q.values as unknown[]);
        return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
      },
      range: /Index (Only )?Scan using \S+_expire|Bitmap Index Scan on \S+_expire/,
      fullScan: /Seq Scan/,
    },
  });
}

describe.skipIf(!url)("PostgreSQL client_config", () => {
  it("goes to the pg pool, over the defaults", async () => {
    const store = await openPostgresStore(url!, { max: 3, application_name: "torus-test" });
    try {
      const pool = store.handle as pg.Pool;
      expect(pool.options).toMatchObject({ max: 3, connectionTimeoutMillis: 10_000 });
      const { rows } = await pool.query("SELECT current_setting('application_name') AS name");
      expect(rows[0].name).toBe("torus-test");
    } finally {
      await store.close();
    }
  });
});

describe("PostgreSQL connection faults", () => {
  it("an unreachable host is a retryable one-line StoreError naming the URL without its password", async () => {
    const err = await openPostgresStore("postgresql://torus:hunter2@127.0.0.1:1/test", { connectionTimeoutMillis: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ retryable: true, url: "postgresql://torus:***@127.0.0.1:1/test" });
    const message = (err as Error).message;
    expect(message).toContain("postgresql://torus:***@127.0.0.1:1/test");
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("\n");
  });

  it.skipIf(!url)("an unknown user is a one-line StoreError without the password", async () => {
    const bad = url!.replace(/^postgres(ql)?:\/\/[^@]*@/, "postgresql://torus_no_such_user:s3cret-pw@");
    const err = await openPostgresStore(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const message = (err as Error).message;
    expect(message).toMatch(/torus_no_such_user/);
    expect(message).toContain(":***@");
    expect(message).not.toContain("s3cret-pw");
    expect(message).not.toContain("\n");
    expect((err as StoreError).retryable).toBe(false);
  });

  it.each(["postgresql", "postgres"])("openStore routes %s:// here", async (scheme) => {
    const err = await openStore(`${scheme}://u:pw@127.0.0.1:1/test`, { connectionTimeoutMillis: 2000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^${scheme}://u:\\*\\*\\*@127\\.0\\.0\\.1:1/test: cannot connect to PostgreSQL: `));
  });
});
