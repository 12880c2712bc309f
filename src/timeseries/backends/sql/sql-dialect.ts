import type { TypeName } from "../../store.js";

/**
 * A statement and its parameters, numbered in order of appearance (MySQL's
 * `?` is positional). `prepare` asks drivers that can for a statement
 * prepared once per connection: set it only on texts built once per table.
 */
export interface Query {
  readonly text: string;
  readonly values: readonly unknown[];
  readonly prepare?: boolean;
  /** Answer `[[rows affected]]` instead of rows (for a statement that returns none). */
  readonly affected?: boolean;
}

/** One row to upsert: name_id, interval_id, bucket, sub offset, then the type's columns. */
export type TableRow = Array<number | string>;

/** Something that runs statements and returns rows as arrays (column order of the SELECT). */
export interface SqlSession {
  query(q: Query): Promise<unknown[][]>;
}

/**
 * The driver seam: a pool that runs single statements, transactions on one
 * connection, and a cross-process lock for creating tables.
 */
export interface SqlClient extends SqlSession {
  /** The driver's pool, handed to custom `fetch` functions. */
  readonly handle: unknown;
  /** Runs `fn` inside BEGIN … COMMIT on one connection; any error rolls back and is rethrown. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `fn` holding a lock named `key` that other processes on the same database also take. */
  exclusive<T>(key: string, fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * What differs between SQL servers: quoting, placeholders, type names, the
 * upsert syntax and which errors are worth retrying. Everything else (table
 * layout, interning, batching, reads) lives once in `SqlStore`.
 */
export interface SqlDialect {
  /** "PostgreSQL", "MySQL": used in messages. */
  readonly label: string;
  /** Longest table name the server keeps without truncating it. */
  readonly maxIdentifierBytes: number;
  /** Rows per upsert statement, and a cap on its text/parameter bytes (driver and packet limits). */
  readonly chunkRows: number;
  readonly chunkBytes: number;
  ident(name: string): string;
  /** Placeholder of the i-th (1-based) parameter. */
  param(i: number): string;
  /** `= ANY($i)` / `IN (?)`: membership in an array parameter. */
  inList(i: number, type: "int" | "text"): string;
  /** Expression turning a stored text column into a client string. */
  text(column: string): string;
  /** DDL for the names, intervals and flushes tables and one type's table, each `CREATE … IF NOT EXISTS`. */
  createTables(tables: Readonly<Record<TableKind, string>>, type: TypeName): string[];
  /**
   * Gives a type's table the (interval_id, bucket) index that makes `expire`
   * a range delete rather than a scan of the whole table (the primary key
   * starts with name_id). Run on every open after `createTables`, so tables
   * made before the index existed get it too: `exists`, when given, says
   * whether it is already there (servers without `CREATE INDEX IF NOT EXISTS`).
   * @param table the quoted table name
   * @param bare the same name unquoted
   */
  expireIndex(table: string, bare: string): { exists?: Query; create: string };
  /** One multi-row upsert of `rows` (already sorted) into a type's table. */
  upsert(table: string, type: TypeName, rows: readonly TableRow[]): Query;
  /** DDL for the tag index table: rows `(tag, value, name_id)` keyed in that order, and an index by `(name_id, tag)` named `indexName`. */
  createTagTable(table: string, indexName: string): string[];
  /** Inserts tag index rows `[tag, value, name_id]`, doing nothing for ones already there. */
  insertTags(table: string, rows: ReadonlyArray<readonly [string, string, number]>): Query;
  /**
   * Inserts a flush id into the flushes table, inside the flush's
   * transaction: true if it was new, false if it was there (waiting, as an
   * insert does, for a transaction still committing the same id).
   */
  recordFlush(session: SqlSession, table: string, id: string, at: number): Promise<boolean>;
  /** Inserts the given names into a names/intervals table, doing nothing for ones already there. */
  insertNames(table: string, names: readonly string[]): Query;
  /** Whether a driver error is worth retrying (connection lost, deadlock, server busy). */
  retryable(err: unknown): boolean;
}

/** The tables under one prefix: interned names and intervals, one per type, the tag index, and the flush ids applied (`id`, `at` in epoch seconds). */
export const TABLE_KINDS = ["names", "intervals", "count", "gauge", "histogram", "set", "series", "tags", "flushes"] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

/** The columns after the key (name_id, interval_id, bucket, sub), per type. */
export const VALUE_COLUMNS: Record<TypeName, readonly string[]> = {
  count: ["value"],
  gauge: ["value", "ts"],
  histogram: ["member", "n"],
  set: ["member"],
  series: ["value"],
};

/** The key every type's table starts with, in index order: a range read is one scan of it. */
export const KEY_COLUMNS = ["name_id", "interval_id", "bucket", "sub"] as const;
