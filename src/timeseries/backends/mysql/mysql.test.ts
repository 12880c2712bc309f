import type { Pool } from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../errors.js";
import { Timeseries } from "../../timeseries.js";
import { openStore } from "../open-store.js";
import { sqlStoreSuite } from "../../testing/sql-store-suite.js";
import { sqlConformance } from "../../testing/sql-test-target.js";
import { mysqlDialect } from "./mysql-dialect.js";
import { openMysqlStore } from "./mysql-store.js";

const urls = [process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"];

const url = await sqlConformance({ label: "MariaDB", urls, envVar: "TORUS_TEST_MYSQL_URL", open: (u) => openMysqlStore(u) });

if (url) {
  sqlStoreSuite({
    label: "MariaDB",
    url,
    dialect: mysqlDialect,
    open: (u, config) => openMysqlStore(u, config),
    victim: async () => {
      // One connection, so its id is the whole pool.
      const store = await openMysqlStore(url, { connectionLimit: 1 });
      const [[id]] = (await (store.handle as Pool).query({ sql: "SELECT CONNECTION_ID()", rowsAsArray: true }))[0] as unknown as number[][];
      const kill = async () => {
        const admin = await openMysqlStore(url);
        try {
          await (admin.handle as Pool).query(`KILL ${Number(id)}`);
        } finally {
          await admin.close();
        }
      };
      return { store, kill };
    },
    hold: async (store, table) => {
      const c = await (store.handle as Pool).getConnection();
      await c.query(`LOCK TABLES ${table} READ`); // others may read it, not write
      return async () => {
        await c.query("UNLOCK TABLES");
        c.release();
      };
    },
    expireIndex: {
      drop: async (store, prefix, type) => {
        await (store.handle as Pool).query(`ALTER TABLE ${store.tables(prefix)[type]} DROP INDEX expire_key`);
      },
      present: async (store, prefix, type) => {
        const { exists } = mysqlDialect.expireIndex(store.tables(prefix)[type], store.bareTable(prefix, type));
        const [rows] = await (store.handle as Pool).query({ sql: exists!.text, values: exists!.values as unknown[] });
        return (rows as unknown[]).length === 1;
      },
      explain: async (store, prefix, type, q) => {
        const pool = store.handle as Pool;
        await pool.query(`ANALYZE TABLE ${store.tables(prefix)[type]}`);
        const [rows] = await pool.query({ sql: `EXPLAIN ${q.text}`, values: q.values as unknown[] });
        // One line per plan row: "type=range key=expire_key ...".
        return (rows as Array<Record<string, unknown>>).map((r) => Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join(" ")).join("\n");
      },
      range: /type=range .*key=expire_key/,
      fullScan: /type=ALL/,
    },
  });
}

describe.skipIf(!url)("MariaDB client_config", () => {
  it("goes to the mysql2 pool, over the defaults", async () => {
    const store = await openMysqlStore(url!, { connectionLimit: 3, connectTimeout: 5000 });
    try {
      const config = (store.handle as unknown as { pool: { config: { connectionLimit: number; connectionConfig: { connectTimeout: number } } } }).pool.config;
      expect(config.connectionLimit).toBe(3);
      expect(config.connectionConfig.connectTimeout).toBe(5000);
      const [rows] = await (store.handle as Pool).query("SELECT @@SESSION.tx_isolation AS iso");
      expect(rows).toEqual([{ iso: "READ-COMMITTED" }]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!url)("MariaDB under NO_BACKSLASH_ESCAPES", () => {
  it("names that would break out of a backslash-escaped literal read, list and delete only themselves", async () => {
    // One connection, so the mode set in its session is the mode of every statement the store runs.
    const store = await openMysqlStore(url!, { connectionLimit: 1 });
    const pool = store.handle as Pool;
    const prefix = `inj${Date.now().toString(36)}_`;
    const mode = async () => String(((await pool.query({ sql: "SELECT @@SESSION.sql_mode", rowsAsArray: true }))[0] as unknown as string[][])[0][0]);
    try {
      await pool.query("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')");
      expect(await mode()).toContain("NO_BACKSLASH_ESCAPES");
      const NOW = Date.UTC(2026, 2, 1) / 1000;
      const ts = new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60 } }, clock: () => NOW });
      const good = ["a.one", "a.two", "\\", "x'y"];
      for (const [i, name] of good.entries()) await ts.insert(name, i + 1, NOW);
      const evil = ["') OR 1=1 -- ", "\\' OR 1=1 -- ", "x' OR '1'='1", "\\') OR 1=1 #"];
      for (const name of evil) {
        expect(await ts.get(name, "minute", { timestamp: NOW })).toBeNull();
        expect(await ts.properties(name)).toEqual({});
        await ts.delete(name);
        await ts.expire(name);
      }
      expect(await ts.list()).toEqual([...good].sort());
      for (const [i, name] of good.entries()) expect(await ts.get(name, "minute", { timestamp: NOW })).toBe(i + 1);
      // Stored as themselves, too.
      for (const name of evil) await ts.insert(name, 10, NOW);
      for (const name of evil) expect(await ts.get(name, "minute", { timestamp: NOW })).toBe(10);
      expect(await ts.list()).toEqual([...good, ...evil].sort());
      await ts.delete(evil[0]);
      expect(await ts.list()).toEqual([...good, ...evil.slice(1)].sort());
      expect(await mode()).toContain("NO_BACKSLASH_ESCAPES");
    } finally {
      await store.dropTables(prefix).catch(() => {});
      await store.close();
    }
  });
});

describe("MariaDB connection faults", () => {
  it("an unreachable host is a retryable one-line StoreError naming the URL without its password", async () => {
    const err = await openMysqlStore("mysql://torus:hunter2@127.0.0.1:1/test", { connectTimeout: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ retryable: true, url: "mysql://torus:***@127.0.0.1:1/test" });
    const message = (err as Error).message;
    expect(message).toMatch(/^mysql:\/\/torus:\*\*\*@127\.0\.0\.1:1\/test: cannot connect to MySQL: /);
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("\n");
  });

  it("openStore routes mysql:// here", async () => {
    const err = await openStore("mysql://u:pw@127.0.0.1:1/test", { connectTimeout: 2000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^mysql:\/\/u:\*\*\*@127\.0\.0\.1:1\/test: cannot connect to MySQL: /);
  });

  it.skipIf(!url)("wrong credentials are a one-line, non-retryable StoreError without the password", async () => {
    const bad = url!.replace(/^mysql:\/\/[^@]*@/, "mysql://nouser:secret@");
    const err = await openMysqlStore(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const message = (err as Error).message;
    expect(message).toContain("mysql://nouser:***@");
    expect(message).toMatch(/Access denied/);
    expect(message).not.toContain("secret");
    expect(message).not.toContain("\n");
    expect((err as StoreError).retryable).toBe(false);
  });
});
