/**
 * QUERY_TIMEOUT against stores that stall for real: a private redis-server
 * paused with SIGSTOP, and PostgreSQL and MariaDB tables held by
 * `LOCK TABLE` from another connection. A query answers 503 naming the
 * store within the bound; requests that need no store are served at once
 * meanwhile; once the store is back, queries answer again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection, type Connection } from "mysql2/promise";
import pg from "pg";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { startTorusServer, type TorusServer } from "../../src/server/torus-server.js";
import { compileConfig } from "../../src/config/index.js";
import { until } from "../../src/timeseries/testing/redis-test-cluster.js";
import { freePort } from "./helpers.js";

const PG_URL = process.env.TORUS_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const MYSQL_URL = process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";
const PREFIX = `tmo${process.pid}${Math.floor(Math.random() * 1e6)}_`;
const NOW = Math.floor(Date.now() / 1000);
const logger = pino({ level: "silent" });

/** A store that can be made to stall and come back. */
interface Stall {
  url: string;
  /** What the 503 must show of the URL, and what it must not. */
  shown: string;
  hidden?: string;
  stall(): Promise<void>;
  resume(): Promise<void>;
  cleanup(): Promise<void>;
}

async function privateRedis(): Promise<Stall> {
  const port = await freePort();
  const proc: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", "pw-s3cret"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const cleanup = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGCONT");
      proc.kill("SIGKILL");
      await exited;
    }
  };
  try {
    await until(`redis-server on ${port}`, 10_000, async () => {
      const { connect } = await import("node:net");
      return new Promise<boolean>((resolve) => {
        const s = connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
        s.on("error", () => resolve(false));
      });
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    url: `redis://:pw-s3cret@127.0.0.1:${port}/0`,
    shown: `redis://:***@127.0.0.1:${port}/0`,
    hidden: "pw-s3cret",
    stall: async () => void proc.kill("SIGSTOP"),
    resume: async () => void proc.kill("SIGCONT"),
    cleanup,
  };
}

function postgresLock(): Stall {
  let client: pg.Client | null = null;
  const release = async () => {
    const c = client;
    client = null;
    if (c) await c.query("ROLLBACK").finally(() => c.end());
  };
  return {
    url: PG_URL,
    shown: PG_URL,
    async stall() {
      client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const { rows } = await client.query("SELECT tablename FROM pg_tables WHERE tablename LIKE $1", [`${PREFIX}%`]);
      expect(rows.length).toBeGreaterThan(0);
      await client.query("BEGIN");
      await client.query(`LOCK TABLE ${rows.map((r) => `"${r.tablename}"`).join(", ")} IN ACCESS EXCLUSIVE MODE`);
    },
    resume: release,
    async cleanup() {
      await release();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        const { rows } = await c.query("SELECT tablename FROM pg_tables WHERE tablename LIKE $1", [`${PREFIX}%`]);
        for (const r of rows) await c.query(`DROP TABLE IF EXISTS "${r.tablename}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

function mariadbLock(): Stall {
  let conn: Connection | null = null;
  const tables = async (c: Connection) => {
    const [rows] = await c.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?", [`${PREFIX}%`]);
    return (rows as Array<{ t: string }>).map((r) => r.t);
  };
  const release = async () => {
    const c = conn;
    conn = null;
    if (c) await c.query("UNLOCK TABLES").finally(() => c.end());
  };
  return {
    url: MYSQL_URL,
    shown: MYSQL_URL,
    async stall() {
      conn = await createConnection(MYSQL_URL);
      const names = await tables(conn);
      expect(names.length).toBeGreaterThan(0);
      await conn.query(`LOCK TABLES ${names.map((t) => `\`${t}\` WRITE`).join(", ")}`);
    },
    resume: release,
    async cleanup() {
      await release();
      const c = await createConnection(MYSQL_URL);
      try {
        for (const t of await tables(c)) await c.query(`DROP TABLE IF EXISTS \`${t}\``);
      } finally {
        await c.end();
      }
    },
  };
}

async function timed(url: string): Promise<{ status: number; body: any; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(8_000) });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text
  }
  return { status: res.status, body, ms: Date.now() - t0 };
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});

describe.each([
  ["a paused Redis (SIGSTOP)", privateRedis],
  ["a PostgreSQL table held by LOCK TABLE", async () => postgresLock()],
  ["a MariaDB table held by LOCK TABLES", async () => mariadbLock()],
])("QUERY_TIMEOUT with %s", (_label, make) => {
  it("answers 503 naming the store within the bound, serves what needs no store at once, and recovers", async () => {
    const store = await make();
    cleanups.push(() => store.cleanup());
    let server: TorusServer | null = null;
    try {
      const intervals = { minute: { step: 60, steps: 60 } };
      const config = compileConfig({
        SCHEMAS: {
          fast: { type: "count", match: "^c\\.", intervals },
          slow: { type: "count", match: "^s\\.", host: store.url, prefix: PREFIX, intervals },
        },
        QUERY_TIMEOUT: 1,
      });
      server = await startTorusServer({ configFiles: [], config, http: { host: "127.0.0.1", port: 0 }, logger });
      const base = `http://127.0.0.1:${server.http.port}`;
      for (const stat of ["c.x", "s.x"]) {
        const res = await fetch(`${base}/insert?stat=${stat}&value=3&timestamp=${NOW}`, { method: "POST" });
        expect(res.status).toBe(200);
      }
      const cached = `${base}/series?stat=sum(c.x)&start=${NOW}&steps=1`;
      const slowSeries = `${base}/series?stat=sum(s.x)&start=${NOW}&steps=1`;
      const point = [[3, NOW - (NOW % 60)]];
      expect((await timed(cached)).body[0].datapoints).toEqual(point);
      expect((await timed(slowSeries)).body[0].datapoints).toEqual(point);

      await store.stall();
      try {
        let stalledAnswered = false;
        const pending = timed(slowSeries).finally(() => (stalledAnswered = true));
        // Meanwhile: the metrics, an unknown command and a cached answer come at once,
        // and are answered while the stalled read still waits (none queues behind it).
        const [metrics, unknown, hit] = await Promise.all([timed(`${base}/metrics`), timed(`${base}/nope?target=x`), timed(cached)]);
        expect(stalledAnswered).toBe(false);
        expect([metrics.status, unknown.status, hit.status]).toEqual([200, 404, 200]);
        expect(hit.body[0].datapoints).toEqual(point);

        const stalled = await pending;
        expect(stalled.status).toBe(503);
        expect(stalled.body.code).toBe("TORUS_ERR_QUERY_STORE_TIMEOUT");
        expect(stalled.body.error).toBe(`store ${store.shown} (schema "slow") did not answer within 1 s (QUERY_TIMEOUT)`);
        if (store.hidden) expect(JSON.stringify(stalled.body)).not.toContain(store.hidden);
        expect(stalled.ms).toBeGreaterThanOrEqual(900);
        expect(stalled.ms).toBeLessThan(3_000);

        for (const path of ["/list", "/properties?stat=s.x"]) {
          const r = await timed(`${base}${path}`);
          expect([r.status, r.body.code]).toEqual([503, "TORUS_ERR_QUERY_STORE_TIMEOUT"]);
          expect(r.ms).toBeLessThan(3_000);
        }
      } finally {
        await store.resume();
      }
      // Back: the same query answers again.
      await until("the store answers again", 10_000, async () => (await timed(slowSeries)).status === 200);
      expect((await timed(slowSeries)).body[0].datapoints).toEqual(point);
    } finally {
      await server?.stop();
      await store.cleanup();
    }
  }, 40_000);
});
