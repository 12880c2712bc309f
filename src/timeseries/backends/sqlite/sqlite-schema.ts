import type { TypeName } from "../../store.js";

/** Quote an SQL identifier built from a user prefix. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * One table per type under a prefix, rows shaped for upserts: a bucket (or
 * sub-bucket) per row for counts and gauges, a row per histogram cell, set
 * member and series value. Names and interval names are interned to small
 * integers; `sub` is stored as its offset in the bucket (0, i.e. zero bytes
 * on disk, without a resolution).
 */
export function schemaSql(prefix: string): string {
  const t = (s: string) => ident(prefix + s);
  const key = "name_id INTEGER NOT NULL, interval_id INTEGER NOT NULL, bucket INTEGER NOT NULL, sub INTEGER NOT NULL";
  return `
    CREATE TABLE IF NOT EXISTS ${t("names")} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS ${t("intervals")} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS ${t("count")} (${key}, value REAL NOT NULL,
      PRIMARY KEY (name_id, interval_id, bucket, sub)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("gauge")} (${key}, value TEXT NOT NULL, ts INTEGER NOT NULL,
      PRIMARY KEY (name_id, interval_id, bucket, sub)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("histogram")} (${key}, member TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (name_id, interval_id, bucket, sub, member)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("set")} (${key}, member TEXT NOT NULL,
      PRIMARY KEY (name_id, interval_id, bucket, sub, member)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("series")} (${key}, value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS ${t("series_key")} ON ${t("series")} (name_id, interval_id, bucket, sub);
  `;
}

/** Columns after the key, and the upsert tail, per type. */
export const UPSERT: Record<TypeName, { columns: number; tail: string }> = {
  count: { columns: 5, tail: "ON CONFLICT DO UPDATE SET value = value + excluded.value" },
  gauge: { columns: 6, tail: "ON CONFLICT DO UPDATE SET value = excluded.value, ts = excluded.ts WHERE excluded.ts >= ts" },
  histogram: { columns: 6, tail: "ON CONFLICT DO UPDATE SET n = n + excluded.n" },
  set: { columns: 5, tail: "ON CONFLICT DO NOTHING" },
  // Series rows are appended: the rowid keeps arrival order.
  series: { columns: 5, tail: "" },
};

/** SELECT list producing `[bucket, sub, a, b]` rows. */
export const READ_COLUMNS: Record<TypeName, string> = {
  count: "bucket, bucket + sub, value, 0",
  gauge: "bucket, bucket + sub, value, ts",
  histogram: "bucket, bucket + sub, member, n",
  set: "bucket, bucket + sub, member, 0",
  series: "bucket, bucket + sub, value, 0",
};

export const READ_ORDER: Record<TypeName, string> = {
  count: "bucket, sub",
  gauge: "bucket, sub",
  histogram: "bucket, sub, member",
  set: "bucket, sub, member",
  series: "bucket, sub, rowid",
};
