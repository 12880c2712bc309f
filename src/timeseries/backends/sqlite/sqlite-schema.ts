import type { TypeName } from "../../store.js";

/** Quote an SQL identifier built from a user prefix. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Buckets per time block. Rows are clustered by (interval, block, name,
 * bucket): a flush of the newest buckets of many stats lands in the few
 * pages of the current block instead of one page per stat, while a read of
 * one stat is one short index range per block (1,440 minutes = 45 blocks).
 */
export const BLOCK_BUCKETS = 32;

/**
 * One table per type under a table stem (see tableStem), rows shaped for upserts: a bucket (or
 * sub-bucket) per row for counts and gauges, a row per histogram cell, set
 * member and series value. Names and interval names are interned to small
 * integers; `sub` is stored as its offset in the bucket (0, i.e. zero bytes
 * on disk, without a resolution). `<type>_keys` records, per stat and
 * interval, the first bucket and the last block stored: `list` and
 * `properties` read it instead of scanning data, and a stream moving forward
 * touches it once per block rather than once per bucket. `changes` is the
 * change journal (see sqlite-changes.ts): per write, the bucket ranges it
 * touched, per type and interval (a NULL interval: anything may have changed).
 * `tags` is the tag index: one row per (tag, value) pair of each tagged
 * name, written when the name is interned, keyed by tag, value and name:
 * prefix and value lookups are index ranges, a candidate's other tags are
 * checked by seeks on the same key (one key per row keeps a new name cheap).
 *
 * `flushes` holds the flush ids applied (see WriteBatch.flushId), with the
 * second they were applied at, until they are an hour old.
 */
export function schemaSql(stem: string): string {
  const t = (s: string) => ident(stem + s);
  const key = "interval_id INTEGER NOT NULL, block INTEGER NOT NULL, name_id INTEGER NOT NULL, bucket INTEGER NOT NULL, sub INTEGER NOT NULL";
  const pk = "interval_id, block, name_id, bucket, sub";
  const keys = (type: TypeName) =>
    `CREATE TABLE IF NOT EXISTS ${t(`${type}_keys`)} (name_id INTEGER NOT NULL, interval_id INTEGER NOT NULL,
       first INTEGER NOT NULL, last_block INTEGER NOT NULL, PRIMARY KEY (name_id, interval_id)) WITHOUT ROWID;`;
  return `
    CREATE TABLE IF NOT EXISTS ${t("names")} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS ${t("intervals")} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, block_seconds INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS ${t("count")} (${key}, value REAL NOT NULL, PRIMARY KEY (${pk})) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("gauge")} (${key}, value TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (${pk})) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("histogram")} (${key}, member TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (${pk}, member)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("set")} (${key}, member TEXT NOT NULL, PRIMARY KEY (${pk}, member)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("series")} (${key}, value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS ${t("series_key")} ON ${t("series")} (${pk});
    CREATE TABLE IF NOT EXISTS ${t("flushes")} (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t("changes")} (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, interval_id INTEGER, first INTEGER, last INTEGER);
    CREATE TABLE IF NOT EXISTS ${t("tags")} (tag TEXT NOT NULL, value TEXT NOT NULL, name_id INTEGER NOT NULL, PRIMARY KEY (tag, value, name_id)) WITHOUT ROWID;
    ${keys("count")} ${keys("gauge")} ${keys("histogram")} ${keys("set")} ${keys("series")}
  `;
}

/** Columns of a row, and the upsert tail, per type. */
export const UPSERT: Record<TypeName, { columns: number; tail: string }> = {
  count: { columns: 6, tail: "ON CONFLICT DO UPDATE SET value = value + excluded.value" },
  gauge: { columns: 7, tail: "ON CONFLICT DO UPDATE SET value = excluded.value, ts = excluded.ts WHERE excluded.ts >= ts" },
  histogram: { columns: 7, tail: "ON CONFLICT DO UPDATE SET n = n + excluded.n" },
  set: { columns: 6, tail: "ON CONFLICT DO NOTHING" },
  // Series rows are appended: the rowid keeps arrival order.
  series: { columns: 6, tail: "" },
};

/**
 * Aggregate SELECT list of a read: one JSON array per column (bucket, sub
 * offset, a, b), so a read of 1,440 rows is one row of a few strings
 * rather than 1,440 rows crossing into JavaScript one value at a time.
 * Exact: integers and text keep every digit and character, and SQLite's JSON
 * renders REAL with 17 significant digits (Infinity as 9.0e+999), which
 * `JSON.parse` reads back to the same double. Types that have no `b` leave
 * it out. Rows arrive in primary-key order (series: rowid, i.e. arrival).
 */
export const READ_COLUMNS: Record<TypeName, string> = {
  count: "json_group_array(bucket), json_group_array(sub), json_group_array(value)",
  gauge: "json_group_array(bucket), json_group_array(sub), json_group_array(value), json_group_array(ts)",
  histogram: "json_group_array(bucket), json_group_array(sub), json_group_array(member), json_group_array(n)",
  set: "json_group_array(bucket), json_group_array(sub), json_group_array(member)",
  series: "json_group_array(bucket), json_group_array(sub), json_group_array(value)",
};

/**
 * Plain SELECT list of a read of many names at once (see ROW_COLUMNS' use in
 * SqliteStore.read): the name id, then the columns of READ_COLUMNS, row by row.
 */
export const ROW_COLUMNS: Record<TypeName, string> = {
  count: "name_id, bucket, sub, value",
  gauge: "name_id, bucket, sub, value, ts",
  histogram: "name_id, bucket, sub, member, n",
  set: "name_id, bucket, sub, member",
  series: "name_id, bucket, sub, value",
};

/**
 * Aggregate SELECT list of a column read (`Store.readColumns`): sub-bucket
 * starts, then `a` and `b`, one JSON array each: one array fewer than
 * READ_COLUMNS, and no array per row on the JavaScript side.
 */
export const POINT_COLUMNS: Record<TypeName, string> = {
  count: "json_group_array(bucket + sub), json_group_array(value)",
  gauge: "json_group_array(bucket + sub), json_group_array(value), json_group_array(ts)",
  histogram: "json_group_array(bucket + sub), json_group_array(member), json_group_array(n)",
  set: "json_group_array(bucket + sub), json_group_array(member)",
  series: "json_group_array(bucket + sub), json_group_array(value)",
};
