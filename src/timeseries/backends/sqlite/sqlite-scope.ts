/**
 * One prefix's tables in a SQLite file: the schema created on first use,
 * prepared statements, interned name and interval ids, and the known
 * first bucket / last block per stat that writes keep up to date.
 */
import type Database from "better-sqlite3";
import type { TypeName } from "../../store.js";
import { tagPairs } from "../../tag-pairs.js";
import type { NameCache } from "../name-cache.js";
import { tableStem } from "../table-stem.js";
import { UPSERT, ident, schemaSql } from "./sqlite-schema.js";
import { ensureListed } from "./sqlite-listed.js";

export type Statement = Database.Statement<unknown[]>;
export interface IntervalRow {
  id: number;
  blockSeconds: number;
}
/** First bucket and last block of one stat in one interval. */
export interface Range {
  first: number;
  lastBlock: number;
}

export type Fresh = Array<() => void>;

/** Tag index rows per multi-row insert (3 parameters each, well under SQLite's 32,766). */
const TAG_ROWS = 100;
/** New names per multi-row insert. */
const NAME_ROWS = 256;
/** Key ranges per multi-row upsert (4 parameters each). */
const RANGE_ROWS = 128;

/**
 * How long this process trusts its copy of the first/last bucket per stat:
 * another process may delete or expire meanwhile, so it is re-learned.
 */
const RANGE_CACHE_MS = 30_000;

/**
 * Known first bucket and last block per name id, for one type and interval.
 * Name ids are dense, so two growable columns replace an object and a map
 * entry per name: with 100,000 names and three intervals that is megabytes
 * instead of tens of them.
 */
export class RangeTable {
  private first = new Float64Array(0);
  private lastBlock = new Float64Array(0);

  /** True when the known range already holds first..lastBlock (an unknown id is NaN, which compares false). */
  covers(id: number, first: number, lastBlock: number): boolean {
    return id < this.first.length && this.first[id] <= first && this.lastBlock[id] >= lastBlock;
  }

  set(id: number, first: number, lastBlock: number): void {
    if (id >= this.first.length) {
      const size = Math.max(1024, id + 1, this.first.length * 2);
      const f = new Float64Array(size).fill(Number.NaN);
      f.set(this.first);
      const l = new Float64Array(size);
      l.set(this.lastBlock);
      this.first = f;
      this.lastBlock = l;
    }
    this.first[id] = first;
    this.lastBlock[id] = lastBlock;
  }
}

/** Prepared statements, interned ids and known ranges for one prefix. */
export class Scope {
  readonly intervals = new Map<string, IntervalRow>();
  /** type → interval id → name id → known first bucket and last block. */
  ranges = new Map<string, Map<number, RangeTable>>();
  rangesAt = Date.now();
  /** When this connection last deleted expired flush ids of this prefix (epoch seconds). */
  flushesSwept = 0;
  private readonly stmts = new Map<string, Statement>();
  /** Tag rows of names interned in the running transaction, written by `writeTags`. */
  private tagRows: Array<[string, string, number]> = [];

  /** The start of this prefix's table names (see tableStem): any prefix, one set of tables of its own. */
  private readonly stem: string;

  constructor(
    readonly db: Database.Database,
    readonly prefix: string,
    /** The store's name ids, every prefix's, bounded by bytes; this scope's are under its own key. */
    private readonly names: NameCache<Scope>,
  ) {
    this.stem = tableStem(prefix, Infinity);
    db.exec(schemaSql(this.stem));
    ensureListed(db, this.stem);
  }

  table(name: string): string {
    return ident(this.stem + name);
  }

  stmt(key: string, sql: () => string): Statement {
    let s = this.stmts.get(key);
    if (!s) this.stmts.set(key, (s = this.db.prepare(sql())));
    return s;
  }

  upsert(type: TypeName, rows: number): Statement {
    return this.stmt(`upsert:${type}:${rows}`, () => {
      const { columns, tail } = UPSERT[type];
      const one = `(${new Array(columns).fill("?").join(",")})`;
      return `INSERT INTO ${this.table(type)} VALUES ${new Array(rows).fill(one).join(",")} ${tail}`;
    });
  }

  /**
   * The multi-row upsert of `rows` rows of one interval and block: those two
   * bound once, ahead of the rows (name id, bucket, [offset,] a[, b]); the
   * offset is 0 where `subs` is false.
   */
  blockUpsert(type: TypeName, rows: number, subs: boolean): Statement {
    return this.stmt(`block-upsert:${type}:${rows}:${subs ? 1 : 0}`, () => {
      const { columns, tail } = UPSERT[type];
      const width = columns - (subs ? 2 : 3);
      const one = `(${new Array(width).fill("?").join(",")})`;
      const col = (i: number) => `column${i}`;
      const select = subs ? [col(1), col(2), col(3), col(4), ...(columns === 7 ? [col(5)] : [])] : [col(1), col(2), "0", col(3), ...(columns === 7 ? [col(4)] : [])];
      // WHERE true: an upsert's SELECT needs one, or SQLite reads ON as a join's.
      return `INSERT INTO ${this.table(type)} SELECT ?, ?, ${select.join(", ")} FROM (VALUES ${new Array(rows).fill(one).join(",")}) WHERE true ${tail}`;
    });
  }

  rangeCache(type: TypeName): Map<number, RangeTable> {
    if (Date.now() - this.rangesAt > RANGE_CACHE_MS) {
      this.ranges = new Map();
      this.rangesAt = Date.now();
    }
    let m = this.ranges.get(type);
    if (!m) this.ranges.set(type, (m = new Map()));
    return m;
  }

  /**
   * Ids of names, in their order, creating the missing ones many rows per
   * statement (one statement per new name cost more than the rest of a
   * flush when most names are new); the cache learns them only once the
   * transaction commits.
   */
  internNames(names: readonly string[], fresh: Fresh): number[] {
    const ids = new Array<number>(names.length);
    let missing: Map<string, number> | null = null;
    for (let i = 0; i < names.length; i++) {
      const hit = this.names.get(this, names[i]);
      if (hit !== undefined) ids[i] = hit;
      else (missing ??= new Map()).set(names[i], i);
    }
    if (missing !== null) this.insertNames(missing, ids, fresh);
    return ids;
  }

  /**
   * Insert (or find) each name of `missing` (name → index into ids), NAME_ROWS per statement, in
   * sorted order: the name index takes its new keys page by page rather than one random page each,
   * which with a million names (an index far larger than the page cache) was most of a flush. A name
   * already stored (forgotten by the cache) is read, not written again.
   */
  private insertNames(missing: Map<string, number>, ids: number[], fresh: Fresh): void {
    const insert = (n: number) =>
      this.stmt(`intern:names:${n}`, () =>
        `INSERT INTO ${this.table("names")} (name) VALUES ${new Array(n).fill("(?)").join(",")} ON CONFLICT(name) DO NOTHING RETURNING id, name`,
      ).raw(true);
    const select = (n: number) =>
      this.stmt(`find:names:${n}`, () => `SELECT id, name FROM ${this.table("names")} WHERE name IN (${new Array(n).fill("?").join(",")})`).raw(true);
    const learn = (id: number, name: string) => {
      const at = missing.get(name)!;
      ids[at] = id;
      // The tag index, in the same transaction: only for names this process has not met (or forgot), so a
      // steady flush adds nothing, and a name stored before the index existed gets its rows the next time.
      for (const [t, v] of tagPairs(name)) this.tagRows.push([t, v, id]);
      // The name as SQLite returned it: a string of its own, kept without a copy.
      fresh.push(() => this.names.set(this, name, id, true));
    };
    const all = [...missing.keys()].sort();
    const stored: string[] = [];
    for (let i = 0; i < all.length; i += NAME_ROWS) {
      const chunk = all.length - i >= NAME_ROWS ? all.slice(i, i + NAME_ROWS) : all.slice(i);
      // RETURNING gives rows in no promised order, and only those inserted: each carries its name.
      const rows = insert(chunk.length).all(chunk) as Array<[number, string]>;
      for (const [id, name] of rows) learn(id, name);
      if (rows.length < chunk.length) {
        const made = new Set(rows.map((r) => r[1]));
        for (const name of chunk) if (!made.has(name)) stored.push(name);
      }
    }
    for (let i = 0; i < stored.length; i += NAME_ROWS) {
      const chunk = stored.length - i >= NAME_ROWS ? stored.slice(i, i + NAME_ROWS) : stored.slice(i);
      for (const [id, name] of select(chunk.length).all(chunk) as Array<[number, string]>) learn(id, name);
    }
  }

  /**
   * Widen the stored first bucket / last block of the given (name id, first, last block) triples of one
   * interval, RANGE_ROWS per statement; `known` learns the stored ranges once the transaction commits.
   */
  extendRanges(type: TypeName, ivId: number, known: RangeTable, pending: number[], fresh: Fresh): void {
    const upsert = (n: number) =>
      this.stmt(`range:${type}:${n}`, () =>
        `INSERT INTO ${this.table(`${type}_keys`)} (name_id, interval_id, first, last_block) VALUES ${new Array(n).fill("(?, ?, ?, ?)").join(",")}
         ON CONFLICT DO UPDATE SET first = min(first, excluded.first), last_block = max(last_block, excluded.last_block)
         RETURNING name_id, first, last_block`,
      ).raw(true);
    const params: number[] = [];
    for (let i = 0; i < pending.length; i += 3 * RANGE_ROWS) {
      const end = Math.min(pending.length, i + 3 * RANGE_ROWS);
      params.length = 0;
      for (let j = i; j < end; j += 3) params.push(pending[j], ivId, pending[j + 1], pending[j + 2]);
      const rows = upsert((end - i) / 3).all(params) as Array<[number, number, number]>;
      fresh.push(() => {
        for (const [id, first, lastBlock] of rows) known.set(id, first, lastBlock);
      });
    }
  }

  /** Forget tag rows of an interning that did not reach `writeTags` (its transaction rolled back). */
  resetTags(): void {
    this.tagRows = [];
  }

  /**
   * Write the tag rows of the names interned since the last call (same transaction): sorted, so each
   * B-tree page takes its rows together, and many rows per statement.
   */
  writeTags(): void {
    const rows = this.tagRows;
    if (rows.length === 0) return;
    this.tagRows = [];
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
    const insert = (n: number) =>
      this.stmt(`intern:tags:${n}`, () => `INSERT OR IGNORE INTO ${this.table("tags")} (tag, value, name_id) VALUES ${new Array(n).fill("(?, ?, ?)").join(", ")}`);
    let i = 0;
    for (const many = insert(TAG_ROWS); i + TAG_ROWS <= rows.length; i += TAG_ROWS) many.run(rows.slice(i, i + TAG_ROWS).flat());
    const one = insert(1);
    for (; i < rows.length; i++) one.run(rows[i]);
  }

  internInterval(name: string, blockSeconds: number, fresh: Fresh): IntervalRow {
    const hit = this.intervals.get(name);
    if (hit) return hit;
    // The first writer fixes the block size; every later reader and writer uses the stored one.
    const row = this.stmt("intern:intervals", () =>
      `INSERT INTO ${this.table("intervals")} (name, block_seconds) VALUES (?, ?)
       ON CONFLICT(name) DO UPDATE SET name = excluded.name RETURNING id, block_seconds AS blockSeconds`,
    ).get(name, blockSeconds) as IntervalRow;
    fresh.push(() => this.intervals.set(name, row));
    return row;
  }

  /** Id of an existing name, or undefined; reads never create one. */
  lookupName(name: string): number | undefined {
    const hit = this.names.get(this, name);
    if (hit !== undefined) return hit;
    const row = this.stmt("lookup:names", () => `SELECT id FROM ${this.table("names")} WHERE name = ?`).get(name) as { id: number } | undefined;
    if (row) this.names.set(this, name, row.id);
    return row?.id;
  }

  lookupInterval(name: string): IntervalRow | undefined {
    const hit = this.intervals.get(name);
    if (hit) return hit;
    const row = this.stmt("lookup:intervals", () =>
      `SELECT id, block_seconds AS blockSeconds FROM ${this.table("intervals")} WHERE name = ?`,
    ).get(name) as IntervalRow | undefined;
    if (row) this.intervals.set(name, row);
    return row;
  }
}

