/**
 * A stat name holding NUL is a user's mistake: every read and write
 * endpoint answers 400 before a store sees it. PostgreSQL refuses NUL in
 * text outright, so without the check its driver error became a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../timeseries/backends/postgres/postgres-store.js";
import { REQUIRED } from "../timeseries/testing/must-run.js";
import { findServer } from "../timeseries/testing/sql-test-target.js";
import { NOW, fixture, type Fixture } from "./query-fixture.case.js";

const pgUrls = process.env.TORUS_TEST_POSTGRES_URL ? [process.env.TORUS_TEST_POSTGRES_URL] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"];
const prefix = `nul${process.pid}_`;
let f: Fixture | undefined;
let url: string | undefined;

beforeAll(async () => {
  const found = await findServer({ label: "PostgreSQL", urls: pgUrls, envVar: "TORUS_TEST_POSTGRES_URL", open: (u) => openPostgresStore(u) });
  if (!("url" in found)) {
    if (REQUIRED) throw new Error(`no PostgreSQL at ${pgUrls.join(" or ")} (CI=true runs every store)`);
    console.warn(`\n*** SKIPPED: no PostgreSQL at ${pgUrls.join(" or ")}; CI=true fails instead. ***\n`);
    return;
  }
  url = found.url;
  f = await fixture({
    SCHEMAS: { counts: { type: "count", host: url, prefix, match: "^c\\.", intervals: { minute: { step: 60, steps: 120 } } } },
    AGGREGATES: [],
    MACROS: {},
  });
  await f.send([["c.ok", 1, NOW]]);
});

afterAll(async () => {
  await f?.close();
  if (!url) return;
  const store = await openPostgresStore(url);
  await store.dropTables(prefix).catch(() => {});
  await store.close();
});

describe("a stat name with NUL on a PostgreSQL schema", () => {
  it.each([
    ["GET", `/series?stat=c.a%00b&interval=minute&start=${NOW}&end=${NOW}`],
    ["GET", `/series?stat=sum(c.ok,c.a%00b)&interval=minute&start=${NOW}&end=${NOW}`],
    ["GET", "/properties?stat=c.a%00b"],
    ["DELETE", "/series?stat=c.a%00b"],
    ["POST", "/insert?stat=c.a%00b&value=1"],
  ])("%s %s is a 400 naming the NUL", async (method, path) => {
    if (!f) return;
    const res = await f.app.inject({ method: method as "GET" | "POST" | "DELETE", url: path });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/NUL/);
    // The store is untouched and still answers.
    const ok = await f.get(`/series?stat=sum(c.ok)&interval=minute&start=${NOW}&end=${NOW}`);
    expect(ok.body[0].datapoints).toEqual([[1, NOW - (NOW % 60)]]);
  });
});
