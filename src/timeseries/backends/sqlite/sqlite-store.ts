import Database from "better-sqlite3";
import { ErrorCodes, FlushOverlapError, StoreError, TorusError, quote } from "../../errors.js";
import type { Changes, NameListing, Namespace, Properties, Row, RowColumns, Store, TagCondition, TagValueCount, TypeName } from "../../store.js";
import { FLUSH_ID_TTL_SECONDS, type BatchPart, type WriteBatch } from "../../write-batch.js";
import { NameCache, nameCacheBytes } from "../name-cache.js";
import { redactUrl } from "../url.js";
import { BLOCK_BUCKETS, POINT_COLUMNS, READ_COLUMNS, ROW_COLUMNS, UPSERT } from "./sqlite-schema.js";
import { RangeTable, Scope, type Fresh, type Range, type Statement } from "./sqlite-scope.js";
import { blockList, blocksBetween, byBucket, columnsByName, columnsOf, rowsByName, rowsOf, storedBlocks, type KeyRow } from "./sqlite-read-rows.js";
import { CellOrder, RowWriter } from "./sqlite-write-rows.js";
import { Journal, TouchedBuckets, changesSince } from "./sqlite-changes.js";
import { WriterThread } from "./sqlite-writer-thread.js";
import { sqlitePath } from "./sqlite-url.js";
import { SqliteEvents } from "./sqlite-events.js";
import * as tags from "./sqlite-tags.js";

/** A read of several names spanning fewer blocks than this goes as one statement (see `read`). */
const MANY_NAMES_BLOCKS = 2;

/** Seconds between two sweeps of a flushes table for ids past their time. */
const FLUSH_SWEEP_SECONDS = 60;

/** Errors worth retrying: the file is locked by another process, or the disk hiccupped. */
const RETRYABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/;


/**
 * How long after a write its WAL pages are copied into the database file.
 * SQLite's own checkpoint (every 1,000 pages) runs inside the commit that
 * crosses the mark, so a large flush paid for it while input waited; a
 * passive checkpoint up to a second later runs between chunks instead, and
 * copies a page rewritten by several flushes once. (200 ms spent 9% of
 * karbon's time on the statsd load checkpointing; a second, under 5%, and
 * still a third of a writer thread's time beside the upserts on that load;
 * three seconds copy each hot page a third as often, for a WAL that holds
 * three seconds of writes.)
 */
const CHECKPOINT_DELAY_MS = 3000;
/** Writes after which a checkpoint runs at once when the timer has not had its turn. */
const CHECKPOINT_AFTER_WRITES = 100;

/**
 * The embedded store on better-sqlite3. WAL mode lets karbon and torus
 * share one file; a batch is one IMMEDIATE transaction of multi-row
 * upserts, so it is applied whole or not at all.
 */
export class SqliteStore implements Store {
  readonly url: string;
  readonly handle: Database.Database;
  /** Merged flushes are recorded with their rows, in this process or on the writer thread (whose store refuses an overlap as this one does, not retryable). */
  readonly mergedFlushes = true;
  private readonly scopes = new Map<string, Scope>();
  /** The cell layout of the part being written, its columns reused from write to write. */
  private readonly cellOrder = new CellOrder();
  /** Name → id of every prefix, bounded by `client_config.name_cache_mb`. */
  readonly names: NameCache<Scope>;
  private readonly apply: (batch: WriteBatch, fresh: Fresh) => void;
  private readonly writer: WriterThread | null;
  /** `PRAGMA data_version`: moves when another connection commits, never for this one's own commits. */
  private readonly dataVersion: Statement;
  /** Bumped on each of this connection's writes, deletes and expiries: the other half of the change token. */
  private changes = 0;
  /** Writes the change journal (see sqlite-changes.ts) inside each write's transaction. */
  private readonly journal = new Journal();
  /** Graphite events, in tables of their own beside the data (see sqlite-events.ts). */
  readonly events: SqliteEvents;
  /** A passive checkpoint due after the latest writes (files only). */
  private checkpointTimer: NodeJS.Timeout | null = null;
  private writesSinceCheckpoint = 0;
  private readonly checkpoints: boolean;

  /**
   * `client_config`: `cache_mb` (page cache, default 64), `busy_timeout` (ms,
   * default 5000), `writer_thread` (files only, default false: batches are
   * written by a worker thread so parsing and routing go on meanwhile; it
   * pays on machines with cores to spare, costs memory and copying on small
   * ones), `name_cache_mb` (bound of the name-id cache, default 64; a name
   * evicted is looked up again), and better-sqlite3's own options.
   */
  constructor(url: string, clientConfig: Record<string, unknown> = {}) {
    this.url = redactUrl(url);
    this.names = new NameCache(nameCacheBytes(clientConfig, this.url));
    const path = sqlitePath(url);
    const { writer_thread: writerThread, ...rest } = clientConfig;
    if (writerThread !== undefined && typeof writerThread !== "boolean") {
      const field = "client_config.writer_thread";
      throw new TorusError(ErrorCodes.BAD_OPTION, `${this.url}: ${field}: expected true or false, got ${quote(writerThread)}`, { field, value: writerThread });
    }
    // An in-memory database lives in one connection: it cannot be handed to another thread.
    this.writer = writerThread === true && path !== ":memory:" ? new WriterThread(url, rest) : null;
    try {
      const { cache_mb: cacheMb, busy_timeout: busyTimeout, name_cache_mb: _, ...driver } = rest;
      this.handle = new Database(path, driver as Database.Options);
      if (path !== ":memory:") this.handle.pragma("journal_mode = WAL");
      // Checkpoints are this connection's to schedule (see CHECKPOINT_DELAY_MS); other connections keep SQLite's default.
      if (path !== ":memory:") this.handle.pragma("wal_autocheckpoint = 0");
      this.handle.pragma(`busy_timeout = ${Number(busyTimeout ?? 5000)}`);
      // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last commits.
      this.handle.pragma("synchronous = NORMAL");
      // Reads of wide ranges gain most from a large page cache; karbon, which holds one
      // connection per file and wants a small footprint, asks for less (see Karbon).
      this.handle.pragma(`cache_size = -${Math.round(Number(cacheMb ?? 64) * 1024)}`);
    } catch (err) {
      throw new StoreError(this.url, `cannot open SQLite database ${JSON.stringify(path)}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
    this.checkpoints = path !== ":memory:";
    this.writer?.warm();
    this.dataVersion = this.handle.prepare("PRAGMA data_version").pluck();
    this.apply = this.handle.transaction((batch: WriteBatch, fresh: Fresh) => {
      if (batch.flushIds !== undefined) {
        // All new: apply; all recorded: applied before; some: applied in other groupings, and this one must not be.
        const unseen = this.recordFlushes(batch, batch.flushIds);
        if (unseen === 0) return;
        if (unseen < batch.flushIds.length) throw new FlushOverlapError(this.url, batch.flushIds.length - unseen, batch.flushIds.length);
      } else if (batch.flushId !== undefined && this.recordFlushes(batch, [batch.flushId]) === 0) return;
      for (const part of batch.parts.values()) this.writePart(part, fresh);
    }).immediate;
    this.events = new SqliteEvents(this.handle, (what, err) => this.fail(what, err));
  }

  private scope(prefix: string): Scope {
    let s = this.scopes.get(prefix);
    if (!s) this.scopes.set(prefix, (s = new Scope(this.handle, prefix, this.names)));
    return s;
  }

  private fail(what: string, err: unknown): never {
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? "";
    throw new StoreError(this.url, `${what} failed: ${(err as Error).message}`, { retryable: RETRYABLE.test(code), cause: err });
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.empty) return;
    // The writer thread is another connection: data_version sees its commits.
    if (this.writer) return this.writer.write(batch, this.url).finally(() => this.changes++);
    const fresh: Fresh = [];
    try {
      for (const part of batch.parts.values()) this.scope(part.ns.prefix);
      this.apply(batch, fresh);
    } catch (err) {
      this.fail("write", err);
    } finally {
      this.changes++;
      this.scheduleCheckpoint();
    }
    // Only now are new ids and ranges real: a rolled-back transaction must not leave them cached.
    for (const learn of fresh) learn();
  }

  /**
   * Inside the write's transaction: record the flush ids in the flushes
   * table of the batch's first prefix (by name: the same table for every
   * attempt of the same rows); how many were not there already (an id
   * there was applied before and must not be again). Ids past their time
   * are deleted here now and then.
   */
  private recordFlushes(batch: WriteBatch, ids: readonly string[]): number {
    let prefix: string | undefined;
    for (const part of batch.parts.values()) if (prefix === undefined || part.ns.prefix < prefix) prefix = part.ns.prefix;
    const scope = this.scope(prefix!);
    const now = Math.floor(Date.now() / 1000);
    if (now - scope.flushesSwept >= FLUSH_SWEEP_SECONDS) {
      scope.flushesSwept = now;
      scope.stmt("flushes:sweep", () => `DELETE FROM ${scope.table("flushes")} WHERE at < ?`).run(now - FLUSH_ID_TTL_SECONDS);
    }
    const stmt = scope.stmt("flushes:record", () => `INSERT INTO ${scope.table("flushes")} (id, at) VALUES (?, ?) ON CONFLICT DO NOTHING`);
    let fresh = 0;
    for (const id of ids) fresh += stmt.run(id, now).changes;
    return fresh;
  }

  private scheduleCheckpoint(): void {
    if (!this.checkpoints) return;
    // A caller that writes in a loop without letting timers run (an import) must not grow the WAL without end.
    if (++this.writesSinceCheckpoint >= CHECKPOINT_AFTER_WRITES) {
      this.checkpoint();
      return;
    }
    if (this.checkpointTimer) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      this.checkpoint();
    }, CHECKPOINT_DELAY_MS);
    this.checkpointTimer.unref();
  }

  private checkpoint(): void {
    this.writesSinceCheckpoint = 0;
    try {
      // PASSIVE: copies what no reader still needs and never waits for one.
      if (this.handle.open) this.handle.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // Busy or failing: the next write schedules another, and closing the file checkpoints it.
    }
  }

  private writePart(part: BatchPart, fresh: Fresh): void {
    const type = part.ns.type;
    if (!(type in UPSERT)) throw new Error(`no table for type ${JSON.stringify(type)}`);
    const scope = this.scope(part.ns.prefix);
    const rows = new RowWriter(scope, type, UPSERT[type].columns === 7 ? 2 : 1, part);

    // Upserting in primary-key order (block, then name, then bucket) keeps each B-tree page hot while its rows go in.
    const count = part.names.length;
    scope.resetTags();
    const nameIds = scope.internNames(part.names, fresh);
    scope.writeTags();
    const bySlot = new Int32Array(count);
    for (let slot = 0; slot < count; slot++) bySlot[slot] = slot;
    bySlot.sort((a, b) => nameIds[a] - nameIds[b]);
    const ranges = scope.rangeCache(type);
    const order = this.cellOrder;
    for (let i = 0; i < part.intervals.length; i++) {
      const iv = part.intervals[i];
      const { id: ivId, blockSeconds } = scope.internInterval(iv.name, iv.step.seconds * BLOCK_BUCKETS, fresh);
      if (order.build(part, i, bySlot, (sub) => iv.bucketOf(sub), blockSeconds) === 0) continue;
      const { byName, start, bucketAt, kAt, byBlock, blockStart, blocks } = order;
      let known = ranges.get(ivId);
      if (!known) ranges.set(ivId, (known = new RangeTable()));
      /** (name id, first bucket, last block) of the ranges the keys table must widen. */
      const pending: number[] = [];
      const touched = new TouchedBuckets(iv.step.seconds);
      for (let k = 0; k < count; k++) {
        const from = start[k];
        const to = start[k + 1];
        if (from === to) continue;
        // Sorted by sub-bucket: the first and last cells hold the first and last buckets.
        const first = bucketAt[from];
        const last = bucketAt[to - 1];
        const id = nameIds[bySlot[k]];
        const lastBlock = Math.floor(last / blockSeconds);
        if (!known.covers(id, first, lastBlock)) pending.push(id, first, lastBlock);
        touched.add(first, last, () => bucketAt.subarray(from, to));
      }
      if (pending.length > 0) scope.extendRanges(type, ivId, known, pending, fresh);
      for (const [first, last] of touched.ranges()) this.journal.range(scope, type, ivId, first, last);
      const subs = iv.resolution !== null;
      for (let r = 0; r < blocks.length; r++) {
        rows.start(ivId, blocks[r], subs);
        for (let q = blockStart[r]; q < blockStart[r + 1]; q++) {
          const pos = byBlock[q];
          const c = byName[pos];
          const bucket = bucketAt[pos];
          rows.cell(nameIds[bySlot[kAt[pos]]], bucket, part.cellSub[c] - bucket, c);
        }
      }
    }
    rows.finish();
  }

  async read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]> {
    try {
      const scope = this.scope(ns.prefix);
      const iv = scope.lookupInterval(interval);
      if (!iv) return names.map(() => []);
      const firstBlock = Math.floor(first / iv.blockSeconds);
      const lastBlock = Math.floor(last / iv.blockSeconds);
      if (names.length > 1 && lastBlock - firstBlock < MANY_NAMES_BLOCKS) {
        const { ids, rows } = this.readMany(scope, ns.type, names, iv.id, firstBlock, lastBlock, first, last);
        return rowsByName(ids, rows);
      }
      const stmt = scope.stmt(`read:${ns.type}`, () =>
        `SELECT ${READ_COLUMNS[ns.type]} FROM ${scope.table(ns.type)}
         WHERE interval_id = ? AND block IN (SELECT value FROM json_each(?)) AND name_id = ? AND bucket BETWEEN ? AND ?`,
      ).raw(true);
      const blocks = blocksBetween(first, last, iv.blockSeconds);
      return names.map((name) => {
        const nameId = scope.lookupName(name);
        return nameId === undefined ? [] : byBucket(rowsOf(stmt.get(iv.id, blocks, nameId, first, last) as string[]));
      });
    } catch (err) {
      this.fail("read", err);
    }
  }

  /**
   * Many names, few buckets (a refresh of the newest minute of a thousand names): one statement, one seek per
   * name and block inside SQLite, instead of a statement per name. Rows as ROW_COLUMNS, name id first.
   */
  private readMany(scope: Scope, type: TypeName, names: readonly string[], ivId: number, firstBlock: number, lastBlock: number, first: number, last: number) {
    const ids = names.map((name) => scope.lookupName(name));
    const many = scope.stmt(`readMany:${type}`, () =>
      `SELECT ${ROW_COLUMNS[type]} FROM ${scope.table(type)}
       WHERE interval_id = ? AND block IN (SELECT value FROM json_each(?)) AND name_id IN (SELECT value FROM json_each(?)) AND bucket BETWEEN ? AND ?`,
    ).raw(true);
    const known = [...new Set(ids.filter((id): id is number => id !== undefined))];
    const rows = known.length === 0 ? [] : (many.all(ivId, blockList(firstBlock, lastBlock), JSON.stringify(known), first, last) as Array<Array<number | string>>);
    return { ids, rows };
  }

  async readColumns(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<RowColumns[]> {
    try {
      const scope = this.scope(ns.prefix);
      const iv = scope.lookupInterval(interval);
      const none = (): RowColumns => ({ subs: [], a: [] });
      if (!iv) return names.map(none);
      const firstBlock = Math.floor(first / iv.blockSeconds);
      const lastBlock = Math.floor(last / iv.blockSeconds);
      if (names.length > 1 && lastBlock - firstBlock < MANY_NAMES_BLOCKS) {
        const { ids, rows } = this.readMany(scope, ns.type, names, iv.id, firstBlock, lastBlock, first, last);
        return columnsByName(ids, rows);
      }
      const stmt = scope.stmt(`readColumns:${ns.type}`, () =>
        `SELECT ${POINT_COLUMNS[ns.type]} FROM ${scope.table(ns.type)}
         WHERE interval_id = ? AND block IN (SELECT value FROM json_each(?)) AND name_id = ? AND bucket BETWEEN ? AND ?`,
      ).raw(true);
      const blocks = blocksBetween(first, last, iv.blockSeconds);
      return names.map((name) => {
        const nameId = scope.lookupName(name);
        return nameId === undefined ? none() : columnsOf(stmt.get(iv.id, blocks, nameId, first, last) as string[]);
      });
    } catch (err) {
      this.fail("read", err);
    }
  }

  async list(ns: Namespace): Promise<string[]> {
    try {
      const scope = this.scope(ns.prefix);
      const rows = scope.stmt(`list:${ns.type}`, () =>
        `SELECT n.name FROM ${scope.table("names")} n WHERE EXISTS (SELECT 1 FROM ${scope.table(`${ns.type}_keys`)} k WHERE k.name_id = n.id)`,
      ).pluck().all() as string[];
      return rows.sort();
    } catch (err) {
      this.fail("list", err);
    }
  }

  /**
   * By the `listed` log (see sqlite-listed.ts), whose sequence only grows
   * inside serialized write transactions. The newest sequence value is read
   * first: a row committed between the two statements is listed now and
   * again next time, never missed. A page (`limit`) ends at the last value
   * it holds.
   */
  async listAfter(ns: Namespace, after: number, limit?: number): Promise<NameListing> {
    try {
      const scope = this.scope(ns.prefix);
      const newest = scope.stmt("maxListed", () => `SELECT COALESCE(MAX(seq), 0) FROM ${scope.table("listed")}`).pluck().get() as number;
      const rows = scope.stmt(`listAfter:${ns.type}`, () =>
        `SELECT l.seq, n.name FROM ${scope.table("listed")} l JOIN ${scope.table("names")} n ON n.id = l.name_id
         WHERE l.type = ? AND l.seq > ? AND l.seq <= ? AND EXISTS (SELECT 1 FROM ${scope.table(`${ns.type}_keys`)} k WHERE k.name_id = l.name_id) ORDER BY l.seq LIMIT ?`,
      ).raw(true).all(ns.type, after, newest, limit ?? -1) as Array<[number, string]>;
      const full = limit !== undefined && rows.length >= limit;
      return { names: rows.map((r) => r[1]), next: full ? rows[rows.length - 1][0] : Math.max(after, newest) };
    } catch (err) {
      this.fail("listAfter", err);
    }
  }

  async tagKeys(ns: Namespace, prefix = "", limit = Infinity): Promise<string[]> {
    try {
      return tags.tagKeys(this.scope(ns.prefix), ns.type, prefix, limit);
    } catch (err) {
      this.fail("tagKeys", err);
    }
  }

  async tagValues(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<string[]> {
    try {
      return tags.tagValues(this.scope(ns.prefix), ns.type, tag, prefix, limit);
    } catch (err) {
      this.fail("tagValues", err);
    }
  }

  async tagCounts(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<TagValueCount[]> {
    try {
      return tags.tagCounts(this.scope(ns.prefix), ns.type, tag, prefix, limit);
    } catch (err) {
      this.fail("tagCounts", err);
    }
  }

  async findTagged(ns: Namespace, conditions: readonly TagCondition[]): Promise<string[]> {
    try {
      return tags.findTagged(this.scope(ns.prefix), ns.type, conditions);
    } catch (err) {
      this.fail("findTagged", err);
    }
  }

  private keysOf(scope: Scope, type: TypeName, nameId: number): KeyRow[] {
    return scope.stmt(`keys:${type}`, () =>
      `SELECT i.name AS interval, i.id AS ivId, i.block_seconds AS blockSeconds, k.first, k.last_block AS lastBlock
       FROM ${scope.table(`${type}_keys`)} k JOIN ${scope.table("intervals")} i ON i.id = k.interval_id WHERE k.name_id = ?`,
    ).all(nameId) as KeyRow[];
  }

  async properties(ns: Namespace, name: string): Promise<Properties> {
    try {
      const scope = this.scope(ns.prefix);
      const nameId = scope.lookupName(name);
      const out: Properties = {};
      if (nameId === undefined) return out;
      const lastIn = scope.stmt(`last:${ns.type}`, () =>
        `SELECT MAX(bucket) FROM ${scope.table(ns.type)} WHERE interval_id = ? AND block = ? AND name_id = ?`,
      ).pluck();
      for (const k of this.keysOf(scope, ns.type, nameId)) {
        // The keys table knows the last block; its newest bucket is one index seek away.
        const last = (lastIn.get(k.ivId, k.lastBlock, nameId) as number | null) ?? k.first;
        out[k.interval] = { first: k.first, last };
      }
      return out;
    } catch (err) {
      this.fail("properties", err);
    }
  }

  // Name rows are never deleted: another process may hold their ids in its cache.
  async delete(ns: Namespace, name: string): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      const nameId = scope.lookupName(name);
      if (nameId === undefined) return;
      const del = scope.stmt(`delete:${ns.type}`, () => `DELETE FROM ${scope.table(ns.type)} WHERE interval_id = ? AND block = ? AND name_id = ?`);
      const next = this.nextBlock(scope, ns.type);
      this.handle.transaction(() => {
        for (const k of this.keysOf(scope, ns.type, nameId)) {
          for (const b of storedBlocks(next, k.ivId, Math.floor(k.first / k.blockSeconds), k.lastBlock)) del.run(k.ivId, b, nameId);
        }
        scope.stmt(`deleteKeys:${ns.type}`, () => `DELETE FROM ${scope.table(`${ns.type}_keys`)} WHERE name_id = ?`).run(nameId);
        this.journal.everything(scope, ns.type);
      }).immediate();
      scope.ranges.clear();
      this.writer?.forget();
    } catch (err) {
      this.fail("delete", err);
    } finally {
      this.changes++;
      this.scheduleCheckpoint();
    }
  }

  async deleteAll(ns: Namespace): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      this.handle.transaction(() => {
        this.handle.exec(`DELETE FROM ${scope.table(ns.type)}; DELETE FROM ${scope.table(`${ns.type}_keys`)};`);
        this.journal.everything(scope, ns.type);
      }).immediate();
      scope.ranges.clear();
      this.writer?.forget();
    } catch (err) {
      this.fail("delete_all", err);
    } finally {
      this.changes++;
      this.scheduleCheckpoint();
    }
  }

  async expire(ns: Namespace, interval: string, before: number, name?: string): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      const iv = scope.lookupInterval(interval);
      if (!iv) return;
      const table = scope.table(ns.type);
      const keysTable = scope.table(`${ns.type}_keys`);
      const edge = Math.floor(before / iv.blockSeconds);
      const next = this.nextBlock(scope, ns.type);
      this.handle.transaction(() => {
        const stale =
          name === undefined
            ? (this.handle.prepare(`SELECT name_id AS nameId, first, last_block AS lastBlock FROM ${keysTable} WHERE interval_id = ? AND first < ?`).all(iv.id, before) as Array<{ nameId: number } & Range>)
            : ((): Array<{ nameId: number } & Range> => {
                const nameId = scope.lookupName(name);
                if (nameId === undefined) return [];
                const k = this.handle.prepare(`SELECT first, last_block AS lastBlock FROM ${keysTable} WHERE name_id = ? AND interval_id = ? AND first < ?`).get(nameId, iv.id, before) as Range | undefined;
                return k ? [{ nameId, ...k }] : [];
              })();
        if (name === undefined) {
          // Whole blocks before the edge go in one range delete; the edge block row by row.
          this.handle.prepare(`DELETE FROM ${table} WHERE interval_id = ? AND block < ?`).run(iv.id, edge);
          this.handle.prepare(`DELETE FROM ${table} WHERE interval_id = ? AND block = ? AND bucket < ?`).run(iv.id, edge, before);
        } else {
          const del = this.handle.prepare(`DELETE FROM ${table} WHERE interval_id = ? AND block = ? AND name_id = ? AND bucket < ?`);
          for (const k of stale) {
            for (const b of storedBlocks(next, iv.id, Math.floor(k.first / iv.blockSeconds), Math.min(k.lastBlock, edge))) del.run(iv.id, b, k.nameId, before);
          }
        }
        const firstFrom = this.handle.prepare(`SELECT MIN(bucket) FROM ${table} WHERE interval_id = ? AND block = ? AND name_id = ? AND bucket >= ?`).pluck();
        const drop = this.handle.prepare(`DELETE FROM ${keysTable} WHERE name_id = ? AND interval_id = ?`);
        const setFirst = this.handle.prepare(`UPDATE ${keysTable} SET first = ? WHERE name_id = ? AND interval_id = ?`);
        for (const k of stale) {
          let first: number | null = null;
          for (const b of storedBlocks(next, iv.id, edge, k.lastBlock)) {
            first = firstFrom.get(iv.id, b, k.nameId, before) as number | null;
            if (first !== null) break;
          }
          if (first === null) drop.run(k.nameId, iv.id);
          else setFirst.run(first, k.nameId, iv.id);
        }
        this.journal.range(scope, ns.type, iv.id, Number.MIN_SAFE_INTEGER, before - 1);
      }).immediate();
      scope.ranges.clear();
      this.writer?.forget();
    } catch (err) {
      this.fail("expire", err);
    } finally {
      this.changes++;
      this.scheduleCheckpoint();
    }
  }

  /** `(interval id, from, to)` → the first block from..to holding a row of the interval, or null: one seek down the primary key. */
  private nextBlock(scope: Scope, type: TypeName): Statement {
    return scope.stmt(`nextBlock:${type}`, () => `SELECT MIN(block) FROM ${scope.table(type)} WHERE interval_id = ? AND block BETWEEN ? AND ?`).pluck();
  }

  changeToken(): string {
    return `${this.dataVersion.get() as number}.${this.changes}`;
  }

  async changesSince(ns: Namespace, cursor: number | null): Promise<Changes> {
    try {
      const scope = this.scope(ns.prefix);
      // One read transaction: the journal's bounds and its rows from the same snapshot.
      return this.handle.transaction(() => changesSince(scope, ns.type, cursor))();
    } catch (err) {
      this.fail("changes", err);
    }
  }

  /** Drop what this process believes about stored ranges (another connection deleted or expired data). */
  forgetRanges(): void {
    for (const scope of this.scopes.values()) scope.ranges.clear();
  }

  async close(): Promise<void> {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    await this.writer?.close();
    if (this.handle.open) this.handle.close();
  }
}

