import type { TypeName } from "../../store.js";
import { KEY_COLUMNS, VALUE_COLUMNS, type Query, type SqlDialect, type TableKind, type TableRow } from "../sql/sql-dialect.js";

const KEY = KEY_COLUMNS.join(", ");

/**
 * What to do with a row that is already there. `VALUES(col)` is the row
 * being inserted (MariaDB has no `AS new` alias). Assignments run left to
 * right, so the gauge value is chosen against the old `ts` before `ts` moves.
 */
const ON_DUPLICATE: Record<TypeName, string> = {
  count: "ON DUPLICATE KEY UPDATE value = value + VALUES(value)",
  gauge: "ON DUPLICATE KEY UPDATE value = IF(VALUES(ts) >= ts, VALUES(value), value), ts = GREATEST(ts, VALUES(ts))",
  histogram: "ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
  // Not INSERT IGNORE: that would also turn real errors (a member too long) into warnings.
  set: "ON DUPLICATE KEY UPDATE sub = sub",
  series: "",
};

/**
 * Names and members are VARBINARY: byte-wise equality and order, as in
 * SQLite and PostgreSQL's "C" collation. A case-insensitive or PAD SPACE
 * collation would merge "a", "A" and "a " into one key. 2048 bytes keeps
 * the widest primary key under InnoDB's 3072-byte limit.
 */
const COLUMNS: Record<TypeName, string> = {
  count: "value DOUBLE NOT NULL",
  gauge: "value BLOB NOT NULL, ts DOUBLE NOT NULL",
  histogram: "member VARBINARY(2048) NOT NULL, n BIGINT NOT NULL",
  set: "member VARBINARY(2048) NOT NULL",
  series: "value BLOB NOT NULL",
};

/**
 * MySQL and MariaDB: backquoted identifiers and `?` placeholders. Statements
 * go over the text protocol with values inlined by the driver (text as hex
 * literals, see mysql-client.ts), so a multi-row upsert is bounded by
 * `max_allowed_packet` (4 MB on MySQL 5.7, 16 MB on MariaDB), not by the
 * 65,535 placeholders of server-side prepared statements. Hex doubles the
 * text's bytes, so the chunk budget (an estimate of 3 bytes per character)
 * is half of the smallest packet limit.
 */
export const mysqlDialect: SqlDialect = {
  label: "MySQL",
  maxIdentifierBytes: 64,
  chunkRows: 10_000,
  chunkBytes: 2 * 1024 * 1024,

  ident(name: string): string {
    return `\`${name.replace(/`/g, "``")}\``;
  },

  param(): string {
    return "?";
  },

  // mysql2 expands an array value into a comma-separated list.
  inList(): string {
    return "IN (?)";
  },

  text(column: string): string {
    return `CONVERT(${column} USING utf8mb4)`;
  },

  createTables(t: Readonly<Record<TableKind, string>>, type: TypeName): string[] {
    const key = "name_id INT NOT NULL, interval_id INT NOT NULL, bucket BIGINT NOT NULL, sub INT NOT NULL";
    const intern = (table: string) =>
      `CREATE TABLE IF NOT EXISTS ${table} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARBINARY(2048) NOT NULL, UNIQUE KEY name_key (name)) ENGINE=InnoDB`;
    // InnoDB clusters rows by primary key: a range read is one scan of consecutive pages.
    // Series: the auto-increment id records arrival order and ends the key; InnoDB wants it first in some index too.
    const table =
      type === "series"
        ? `CREATE TABLE IF NOT EXISTS ${t.series} (id BIGINT NOT NULL AUTO_INCREMENT, ${key}, ${COLUMNS.series}, PRIMARY KEY (${KEY}, id), KEY id_key (id)) ENGINE=InnoDB`
        : `CREATE TABLE IF NOT EXISTS ${t[type]} (${key}, ${COLUMNS[type]}, PRIMARY KEY (${type === "histogram" || type === "set" ? `${KEY}, member` : KEY})) ENGINE=InnoDB`;
    const flushes = `CREATE TABLE IF NOT EXISTS ${t.flushes} (id VARBINARY(255) NOT NULL PRIMARY KEY, at BIGINT NOT NULL) ENGINE=InnoDB`;
    return [intern(t.names), intern(t.intervals), flushes, table];
  },

  // Index names are per table in MySQL. No `CREATE INDEX IF NOT EXISTS` on MySQL (MariaDB has it), so ask first;
  // InnoDB adds an index online (concurrent writes go on while it builds).
  expireIndex(table: string, bare: string): { exists: Query; create: string } {
    return {
      exists: {
        text: "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'expire_key' LIMIT 1",
        values: [bare],
      },
      create: `ALTER TABLE ${table} ADD INDEX expire_key (interval_id, bucket)`,
    };
  },

  upsert(table: string, type: TypeName, rows: readonly TableRow[]): Query {
    return {
      text: `INSERT INTO ${table} (${[...KEY_COLUMNS, ...VALUE_COLUMNS[type]].join(", ")}) VALUES ? ${ON_DUPLICATE[type]}`,
      values: [rows],
    };
  },

  // Keys fit InnoDB's 3,072-byte limit: 512 + 2,048 (the longest name) + 4.
  createTagTable(table: string): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${table} (tag VARBINARY(512) NOT NULL, value VARBINARY(2048) NOT NULL, name_id INT NOT NULL, PRIMARY KEY (tag, value, name_id), KEY name_tag (name_id, tag)) ENGINE=InnoDB`,
    ];
  },

  insertTags(table: string, rows: ReadonlyArray<readonly [string, string, number]>): Query {
    return { text: `INSERT INTO ${table} (tag, value, name_id) VALUES ? ON DUPLICATE KEY UPDATE name_id = name_id`, values: [rows.map((r) => [...r])] };
  },

  // IGNORE, not ON DUPLICATE KEY UPDATE: mysql2 connects with CLIENT_FOUND_ROWS, which counts an unchanged
  // duplicate as 1 affected row. IGNORE only ever meets a duplicate here: ids are bounded in length by the store.
  async recordFlush(session, table, id, at): Promise<boolean> {
    const [[inserted]] = await session.query({ text: `INSERT IGNORE INTO ${table} (id, at) VALUES (?, ?)`, values: [id, at], affected: true });
    return Number(inserted) === 1;
  },

  insertNames(table: string, names: readonly string[]): Query {
    return { text: `INSERT INTO ${table} (name) VALUES ? ON DUPLICATE KEY UPDATE name = name`, values: [names.map((n) => [n])] };
  },

  retryable: isRetryableMysqlError,
};

/**
 * Server errors worth retrying: deadlock, lock wait timeout, too many
 * connections, shutdown in progress, connection killed, network errors.
 */
const RETRYABLE_ERRNO = new Set([1040, 1053, 1158, 1159, 1160, 1161, 1203, 1205, 1213, 1927, 2002, 2003, 2006, 2013]);

/** A server's verdict (it sent an SQLSTATE) is retryable only if listed; network and driver errors are. */
function isRetryableMysqlError(err: unknown): boolean {
  const e = err as { errno?: unknown; sqlState?: unknown } | undefined;
  if (typeof e?.sqlState === "string" && typeof e.errno === "number") return RETRYABLE_ERRNO.has(e.errno);
  return !(err instanceof TypeError || err instanceof RangeError);
}
