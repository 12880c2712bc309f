import { describe, expect, it } from "vitest";
import { expireIndexName, postgresDialect } from "./postgres-dialect.js";

const pgError = (code: string) => Object.assign(new Error(code), { code });

describe("PostgreSQL errors worth retrying", () => {
  it.each([
    ["deadlock_detected", pgError("40P01"), true],
    ["serialization_failure", pgError("40001"), true],
    ["connection_failure", pgError("08006"), true],
    ["too_many_connections", pgError("53300"), true],
    ["admin_shutdown", pgError("57P01"), true],
    ["cannot_connect_now", pgError("57P03"), true],
    ["lock_not_available", pgError("55P03"), true],
    ["network: refused", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), true],
    ["network: connection terminated", new Error("Connection terminated unexpectedly"), true],
  ])("%s → retry", (_label, err, want) => {
    expect(postgresDialect.retryable(err)).toBe(want);
  });

  it.each([
    ["invalid_password", pgError("28P01")],
    ["undefined role", pgError("28000")],
    ["invalid_catalog_name", pgError("3D000")],
    ["program_limit_exceeded (index row too big)", pgError("54000")],
    ["syntax_error", pgError("42601")],
    ["character_not_in_repertoire (NUL in text)", pgError("22021")],
    ["a bug in our code", new TypeError("x is undefined")],
  ])("%s → fail", (_label, err) => {
    expect(postgresDialect.retryable(err)).toBe(false);
  });
});

describe("PostgreSQL upserts", () => {
  it("send each column as one array, so the text and its 5 or 6 parameters do not grow with the rows", () => {
    const rows = Array.from({ length: 3 }, (_, i) => [1, 2, 60 * i, 0, "m", i]);
    const q = postgresDialect.upsert('"p_histogram"', "histogram", rows);
    expect(q.values).toEqual([[1, 1, 1], [2, 2, 2], [0, 60, 120], [0, 0, 0], ["m", "m", "m"], [0, 1, 2]]);
    expect(q.text).toBe(postgresDialect.upsert('"p_histogram"', "histogram", rows.slice(0, 1)).text);
    expect(q.text).toContain("unnest($1::int4[], $2::int4[], $3::int8[], $4::int4[], $5::text[], $6::int8[])");
    expect(q.prepare).toBe(true);
  });
});

describe("PostgreSQL expire index names", () => {
  const kinds = ["count", "gauge", "histogram", "set", "series", "names", "intervals"];
  it.each([
    ["count", "count_expire"],
    ["carbon_histogram", "carbon_histogram_expire"],
  ])("%s → %s (the table name and _expire when it fits)", (table, want) => {
    expect(expireIndexName(table, 63)).toBe(want);
  });

  it("a table name too long for the suffix gets a hashed name that fits, differs per table and spells no table", () => {
    const long = Array.from({ length: 5 }, (_, i) => `${"p".repeat(50)}${i}_histogram`);
    const got = long.map((t) => expireIndexName(t, 63));
    for (const name of got) {
      expect(name).toMatch(/^torus_expire_[0-9a-f]{20}$/);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
      for (const kind of kinds) expect(name.endsWith(kind)).toBe(false);
    }
    expect(new Set(got).size).toBe(got.length);
  });

  it("is created if missing, on the (interval_id, bucket) columns", () => {
    expect(postgresDialect.expireIndex('"a_count"', "a_count").create).toBe('CREATE INDEX IF NOT EXISTS "a_count_expire" ON "a_count" (interval_id, bucket)');
  });
});
