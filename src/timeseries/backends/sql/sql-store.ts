import { createHash } from "node:crypto";
import { FlushOverlapError, StoreError } from "../../errors.js";
import { storedFlushId } from "../flush-record.js";
import { TYPE_NAMES, type NameListing, type Namespace, type Properties, type Row, type Store, type TagCondition, type TagValueCount, type TypeName } from "../../store.js";
import { compareCodePoints, prefixRange, tagPairs } from "../../tag-pairs.js";
import { typeDef } from "../../types/index.js";
import { FLUSH_ID_TTL_SECONDS, type BatchPart, type WriteBatch } from "../../write-batch.js";
import { DEFAULT_NAME_CACHE_MB, NameCache } from "../name-cache.js";
import { tableStem } from "../table-stem.js";
import { redactUrl } from "../url.js";
import { chunks, partRows } from "./batch-rows.js";
import { TABLE_KINDS, type Query, type SqlClient, type SqlDialect, type SqlSession, type TableKind } from "./sql-dialect.js";
import { secretsOf, storeError } from "./sql-errors.js";
import { SqlNameListings } from "./sql-list-after.js";
import { SqlEvents, type EventsDialect } from "./sql-events.js";

export interface SqlStoreOptions {
  /** Bound of the name-id cache, in bytes (estimated); default {@link DEFAULT_NAME_CACHE_MB} MiB. */
  nameCacheBytes?: number;
  /** The server's events DDL and insert; without it the store keeps no events. */
  events?: EventsDialect;
}

/** Seconds between two sweeps of a flushes table for ids past their time. */
const FLUSH_SWEEP_SECONDS = 60;

/** Names looked up or inserted per statement while interning. */
const INTERN_CHUNK = 5000;

/**
 * A string as the server hands it back: drivers send text as UTF-8, where a
 * lone surrogate becomes U+FFFD. Looking names up by this form keeps such a
 * name from failing to intern on every retry.
 */
function wellFormed(s: string): string {
  return /[\uD800-\uDFFF]/.test(s) ? Buffer.from(s, "utf8").toString("utf8") : s;
}

/** Where known ids are kept: a plain map, or one prefix's view of the store's bounded name cache. */
interface IdMap {
  get(value: string): number | undefined;
  set(value: string, id: number): void;
}

/**
 * Ids of names and intervals already committed under one prefix. Name rows
 * are never deleted, so ids never go stale; names live in the store's
 * bounded cache (an evicted one is looked up again), intervals are few.
 */
class IdCache {
  readonly intervals = new Map<string, number>();
  readonly names: IdMap;

  constructor(cache: NameCache, prefix: string) {
    this.names = { get: (name) => cache.get(prefix, name), set: (name, id) => cache.set(prefix, name, id) };
  }
}

/** New ids seen inside a transaction: cached only once it commits. */
type Fresh = Array<[IdMap, string, number]>;

/** The SELECT tail producing `[bucket, sub, a, b]` after `name_id`, and the order that keeps series in arrival order. */
function readColumns(d: SqlDialect, type: TypeName): { columns: string; order: string } {
  const { a, b, many } = typeDef(type).rows;
  // Totals are numbers; members and values are text, and members are part of the key.
  const col = a === "member" ? "t.member" : "t.value";
  const columns = `${a === "total" ? col : d.text(col)}, ${b === null ? "0" : `t.${b}`}`;
  return { columns, order: a === "member" ? ", t.member" : many ? ", t.id" : "" };
}

/**
 * A Store over a SQL server, written once for every dialect. Tables mirror
 * the SQLite backend's: interned names and intervals, one row per
 * (sub-)bucket for counts and gauges, one per histogram cell, set member
 * and series value, keyed (name_id, interval_id, bucket, sub[, member]) so a
 * range read is one index range scan. A flush is one transaction of
 * multi-row upserts, one statement per table per chunk.
 */
export class SqlStore implements Store {
  readonly url: string;
  readonly mergedFlushes = true;
  private readonly secrets: string[];
  private readonly ready = new Map<string, Promise<void>>();
  private readonly ids = new Map<string, IdCache>();
  private readonly sql = new Map<string, string>();
  private readonly tableNames = new Map<string, Readonly<Record<TableKind, string>>>();
  /** The tag table's `(name_id, tag)` index name, per prefix (PostgreSQL names indexes schema-wide). */
  private readonly tagIndexNames = new Map<string, string>();
  /** Name → id for every prefix, bounded by bytes. */
  readonly names: NameCache;
  /** Graphite events, in a table of their own per prefix (see sql-events.ts). */
  readonly events?: SqlEvents;
  /** Flushes table → when this process last deleted its expired ids (epoch seconds). */
  private readonly swept = new Map<string, number>();
  private readonly listings: SqlNameListings;

  constructor(
    url: string,
    private readonly dialect: SqlDialect,
    private readonly client: SqlClient,
    options: SqlStoreOptions = {},
  ) {
    this.url = redactUrl(url);
    this.secrets = secretsOf(url);
    this.names = new NameCache(options.nameCacheBytes ?? DEFAULT_NAME_CACHE_MB * 1024 * 1024);
    this.listings = new SqlNameListings(client, dialect);
    if (options.events) this.events = new SqlEvents(client, dialect, options.events, (what, err) => this.error(what, err));
  }

  /**
   * Open a store and connect once before returning, so wrong credentials or
   * an unreachable host fail at startup (the client is closed again then).
   */
  static async open(url: string, dialect: SqlDialect, client: SqlClient, options: SqlStoreOptions = {}): Promise<SqlStore> {
    const store = new SqlStore(url, dialect, client, options);
    try {
      await store.connect();
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
    return store;
  }

  get handle(): unknown {
    return this.client.handle;
  }

  /** Check the server answers: run when the store opens so bad credentials or hosts surface at startup. */
  async connect(): Promise<void> {
    try {
      await this.client.query({ text: "SELECT 1", values: [] });
    } catch (err) {
      throw this.error(`cannot connect to ${this.dialect.label}`, err);
    }
  }

  private error(what: string, err: unknown): StoreError {
    return storeError(this.url, this.secrets, what, err, this.dialect.retryable(err));
  }

  /**
   * Table names of a prefix. Prefixes are schema names by default and may
   * hold anything; {@link tableStem} turns each into a distinct, quotable
   * stem that fits the server's identifier limit with the longest kind.
   */
  tables(prefix: string): Readonly<Record<TableKind, string>> {
    const known = this.tableNames.get(prefix);
    if (known) return known;
    const out = {} as Record<TableKind, string>;
    for (const kind of TABLE_KINDS) out[kind] = this.dialect.ident(this.bareTable(prefix, kind));
    this.tableNames.set(prefix, out);
    this.tagIndexNames.set(prefix, this.dialect.ident(`${this.bareTable(prefix, "tags")}_name`));
    return out;
  }

  /** A table's name before quoting, as catalogues such as `information_schema` spell it. */
  bareTable(prefix: string, kind: TableKind): string {
    const longestKind = Math.max(...TABLE_KINDS.map((k) => k.length));
    return tableStem(prefix, this.dialect.maxIdentifierBytes - longestKind) + kind;
  }

  private checkType(type: TypeName): void {
    if (!(TYPE_NAMES as readonly string[]).includes(type)) {
      throw new StoreError(this.url, `unknown type ${JSON.stringify(type)} (expected one of ${TYPE_NAMES.join(", ")})`, { retryable: false });
    }
  }

  /** Creates a namespace's tables once per process, under a lock so two processes starting together do not race. */
  private ensure(ns: Namespace): Promise<void> {
    this.checkType(ns.type);
    const key = `${ns.prefix}\0${ns.type}`;
    let done = this.ready.get(key);
    if (!done) {
      const tables = this.tables(ns.prefix);
      const lock = `torus:${createHash("sha1").update(ns.prefix).digest("hex")}`;
      done = this.client.exclusive(lock, async (s) => {
        for (const ddl of this.dialect.createTables(tables, ns.type)) await s.query({ text: ddl, values: [] });
        // Also a migration: tables created before the index existed get it on their first open.
        const index = this.dialect.expireIndex(tables[ns.type], this.bareTable(ns.prefix, ns.type));
        if (!index.exists || (await s.query(index.exists)).length === 0) await s.query({ text: index.create, values: [] });
        for (const ddl of this.dialect.createTagTable(tables.tags, this.tagIndexNames.get(ns.prefix)!)) await s.query({ text: ddl, values: [] });
      });
      this.ready.set(key, done);
      done.catch(() => this.ready.delete(key));
    }
    return done;
  }

  private cache(prefix: string): IdCache {
    let c = this.ids.get(prefix);
    if (!c) this.ids.set(prefix, (c = new IdCache(this.names, prefix)));
    return c;
  }

  /** A statement's text, built once per key. */
  private text(key: string, build: () => string): string {
    let t = this.sql.get(key);
    if (t === undefined) this.sql.set(key, (t = build()));
    return t;
  }

  /** Ids of existing names (or intervals) in one or a few round trips; unknown names are left out. */
  private async lookup(s: SqlSession, prefix: string, kind: "names" | "intervals", values: readonly string[], into: Map<string, number>): Promise<void> {
    const d = this.dialect;
    const text = this.text(`lookup:${prefix}:${kind}`, () => `SELECT id, ${d.text("name")} FROM ${this.tables(prefix)[kind]} WHERE name ${d.inList(1, "text")}`);
    for (let i = 0; i < values.length; i += INTERN_CHUNK) {
      const rows = await s.query({ text, values: [values.slice(i, i + INTERN_CHUNK)] });
      for (const [id, name] of rows) into.set(String(name), Number(id));
    }
  }

  /**
   * Ids for `values`, inserting missing ones. Inserting only what a lookup
   * did not find keeps identity counters from being burnt on every flush;
   * the second lookup sees rows a concurrent writer committed meanwhile.
   */
  private async intern(s: SqlSession, prefix: string, kind: "names" | "intervals", values: Iterable<string>, fresh: Fresh): Promise<Map<string, number>> {
    const cached = this.cache(prefix)[kind];
    const out = new Map<string, number>();
    const unknown = new Set<string>();
    for (const v of values) {
      const id = cached.get(v);
      if (id !== undefined) out.set(v, id);
      else unknown.add(v);
    }
    if (unknown.size === 0) return out;
    // Sorted: two writers inserting the same new names lock them in the same order.
    const missing = [...unknown].sort();
    const found = new Map<string, number>();
    await this.lookup(s, prefix, kind, missing, found);
    const absent = missing.filter((v) => !found.has(wellFormed(v)));
    if (absent.length > 0) {
      const table = this.tables(prefix)[kind];
      for (let i = 0; i < absent.length; i += INTERN_CHUNK) await s.query(this.dialect.insertNames(table, absent.slice(i, i + INTERN_CHUNK)));
      await this.lookup(s, prefix, kind, absent, found);
    }
    const tags: Array<[string, string, number]> = [];
    for (const v of missing) {
      const id = found.get(wellFormed(v));
      if (id === undefined) throw new StoreError(this.url, `${kind} ${JSON.stringify(v)} could not be interned`, { retryable: true });
      out.set(v, id);
      fresh.push([cached, v, id]);
      if (kind === "names") for (const [tag, value] of tagPairs(wellFormed(v))) tags.push([tag, value, id]);
    }
    // The tag index, in the flush's transaction, for names this process had not cached: steady flushes add
    // nothing, and a name stored before the index existed gets its rows the next time a process meets it.
    // Sorted, so concurrent writers lock rows in the same order.
    if (tags.length > 0) {
      tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
      const table = this.tables(prefix).tags;
      for (let i = 0; i < tags.length; i += INTERN_CHUNK) await s.query(this.dialect.insertTags(table, tags.slice(i, i + INTERN_CHUNK)));
    }
    return out;
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.empty) return;
    // Parts in table order, so concurrent flushes lock tables in the same order.
    const parts = [...batch.parts.values()].sort((a, b) => (a.ns.prefix < b.ns.prefix ? -1 : a.ns.prefix > b.ns.prefix ? 1 : a.ns.type < b.ns.type ? -1 : a.ns.type > b.ns.type ? 1 : 0));
    const fresh: Fresh = [];
    // The id goes in the first prefix's flushes table: the same one for every attempt of the same rows.
    const ids = batch.flushIds ?? (batch.flushId === undefined ? undefined : [batch.flushId]);
    const flushes = ids === undefined ? undefined : this.tables(parts[0].ns.prefix).flushes;
    const now = Math.floor(Date.now() / 1000);
    try {
      for (const part of parts) await this.ensure(part.ns);
      await this.client.transaction(async (s) => {
        // First, so a retry waits here for an attempt still committing, then finds its id and applies nothing.
        if (flushes !== undefined) {
          let unseen = 0;
          for (const id of ids!) if (await this.dialect.recordFlush(s, flushes, storedFlushId(id), now)) unseen++;
          if (unseen === 0) return;
          // Some applied before in other groupings: roll back, the caller writes the flushes one by one.
          if (unseen < ids!.length) throw new FlushOverlapError(this.url, ids!.length - unseen, ids!.length);
        }
        const byPrefix = new Map<string, BatchPart[]>();
        for (const part of parts) {
          const list = byPrefix.get(part.ns.prefix);
          if (list) list.push(part);
          else byPrefix.set(part.ns.prefix, [part]);
        }
        for (const [prefix, list] of byPrefix) {
          const intervals = await this.intern(s, prefix, "intervals", list.flatMap((p) => p.intervals.map((iv) => iv.name)), fresh);
          const names = await this.intern(s, prefix, "names", list.flatMap((p) => p.names), fresh);
          for (const part of list) await this.writePart(s, part, names, part.intervals.map((iv) => intervals.get(iv.name)!));
        }
      });
    } catch (err) {
      throw this.error("write failed", err);
    }
    // Only now are the new ids real: a rolled-back transaction must not leave them cached.
    for (const [cache, value, id] of fresh) cache.set(value, id);
    if (flushes !== undefined) await this.sweep(flushes, now);
  }

  /**
   * Delete flush ids past {@link FLUSH_ID_TTL_SECONDS}, at most once a
   * minute per table, outside the flush's transaction (concurrent writers
   * would otherwise queue on the same rows). Best effort: a failed sweep
   * is tried again next time.
   */
  private async sweep(table: string, now: number): Promise<void> {
    if (now - (this.swept.get(table) ?? 0) < FLUSH_SWEEP_SECONDS) return;
    this.swept.set(table, now);
    await this.client.query({ text: `DELETE FROM ${table} WHERE at < ${this.dialect.param(1)}`, values: [now - FLUSH_ID_TTL_SECONDS] }).catch(() => this.swept.delete(table));
  }

  private async writePart(s: SqlSession, part: BatchPart, names: ReadonlyMap<string, number>, intervalIds: readonly number[]): Promise<void> {
    const rows = partRows(part, names, intervalIds);
    const table = this.tables(part.ns.prefix)[part.ns.type];
    for (const chunk of chunks(rows, this.dialect.chunkRows, this.dialect.chunkBytes)) {
      await s.query(this.dialect.upsert(table, part.ns.type, chunk));
    }
  }

  /** Ids of names and an interval for a read; never creates them (reads must not write). */
  private async resolve(ns: Namespace, names: readonly string[], interval: string): Promise<{ nameIds: Map<string, number>; ivId: number | undefined }> {
    const cache = this.cache(ns.prefix);
    const nameIds = new Map<string, number>();
    let ivId = cache.intervals.get(interval);
    if (ivId === undefined) {
      const found = new Map<string, number>();
      await this.lookup(this.client, ns.prefix, "intervals", [interval], found);
      ivId = found.get(wellFormed(interval));
      if (ivId === undefined) return { nameIds, ivId };
      cache.intervals.set(interval, ivId);
    }
    const missing: string[] = [];
    for (const name of names) {
      const id = cache.names.get(name);
      if (id !== undefined) nameIds.set(name, id);
      else missing.push(name);
    }
    if (missing.length > 0) {
      const found = new Map<string, number>();
      await this.lookup(this.client, ns.prefix, "names", missing, found);
      for (const name of missing) {
        const id = found.get(wellFormed(name));
        if (id === undefined) continue;
        cache.names.set(name, id);
        nameIds.set(name, id);
      }
    }
    return { nameIds, ivId };
  }

  async read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]> {
    try {
      await this.ensure(ns);
      const { nameIds, ivId } = await this.resolve(ns, names, interval);
      if (ivId === undefined || nameIds.size === 0) return names.map(() => []);
      const d = this.dialect;
      const text = this.text(`read:${ns.prefix}:${ns.type}`, () => {
        const { columns, order } = readColumns(d, ns.type);
        return `SELECT t.name_id, t.bucket, t.bucket + t.sub, ${columns} FROM ${this.tables(ns.prefix)[ns.type]} t
          WHERE t.name_id ${d.inList(1, "int")} AND t.interval_id = ${d.param(2)} AND t.bucket BETWEEN ${d.param(3)} AND ${d.param(4)}
          ORDER BY t.name_id, t.bucket, t.sub${order}`;
      });
      const rows = await this.client.query({ text, values: [[...new Set(nameIds.values())], ivId, first, last], prepare: true });
      const byId = new Map<number, Row[]>();
      for (const r of rows) {
        const id = Number(r[0]);
        let list = byId.get(id);
        if (!list) byId.set(id, (list = []));
        list.push([Number(r[1]), Number(r[2]), r[3] as number | string, Number(r[4])]);
      }
      return names.map((name) => {
        const id = nameIds.get(name);
        return (id === undefined ? undefined : byId.get(id)) ?? [];
      });
    } catch (err) {
      throw this.error("read failed", err);
    }
  }

  async list(ns: Namespace): Promise<string[]> {
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const text = this.text(`list:${ns.prefix}:${ns.type}`, () =>
        `SELECT ${this.dialect.text("n.name")} FROM ${t.names} n WHERE EXISTS (SELECT 1 FROM ${t[ns.type]} t WHERE t.name_id = n.id)`,
      );
      const rows = await this.client.query({ text, values: [] });
      // Sorted here, not in SQL: the order must not depend on the server's collation.
      return rows.map((r) => String(r[0])).sort();
    } catch (err) {
      throw this.error("list failed", err);
    }
  }

  /** By name id, waiting a while for ids that commit out of order (see sql-list-after.ts). */
  async listAfter(ns: Namespace, after: number, limit?: number): Promise<NameListing> {
    try {
      await this.ensure(ns);
      return await this.listings.listAfter(this.tables(ns.prefix), ns, after, limit);
    } catch (err) {
      throw this.error("listAfter failed", err);
    }
  }

  async properties(ns: Namespace, name: string): Promise<Properties> {
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const d = this.dialect;
      const text = this.text(`props:${ns.prefix}:${ns.type}`, () =>
        `SELECT ${d.text("i.name")}, MIN(t.bucket), MAX(t.bucket) FROM ${t[ns.type]} t JOIN ${t.intervals} i ON i.id = t.interval_id
         WHERE t.name_id = (SELECT id FROM ${t.names} WHERE name = ${d.param(1)}) GROUP BY i.name`,
      );
      const out: Properties = {};
      for (const [interval, first, last] of await this.client.query({ text, values: [name] })) {
        out[String(interval)] = { first: Number(first), last: Number(last) };
      }
      return out;
    } catch (err) {
      throw this.error("properties failed", err);
    }
  }

  /** A tag row `t` whose name has data of the type (as `list`): deleted and expired names drop out. */
  private live(ns: Namespace): string {
    return `EXISTS (SELECT 1 FROM ${this.tables(ns.prefix)[ns.type]} d WHERE d.name_id = t.name_id)`;
  }

  /** Distinct tags by a loose index scan: one short query per tag (there are few), not a pass over every row. */
  async tagKeys(ns: Namespace, prefix = "", limit = Infinity): Promise<string[]> {
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const d = this.dialect;
      const { low, high } = prefixRange(prefix);
      const first = this.text(`tagFirst:${ns.prefix}`, () => `SELECT ${d.text("tag")} FROM ${t.tags} WHERE tag >= ${d.param(1)} ORDER BY tag LIMIT 1`);
      const next = this.text(`tagNext:${ns.prefix}`, () => `SELECT ${d.text("tag")} FROM ${t.tags} WHERE tag > ${d.param(1)} ORDER BY tag LIMIT 1`);
      const alive = this.text(`tagLive:${ns.prefix}:${ns.type}`, () => `SELECT 1 FROM ${t.tags} t WHERE t.tag = ${d.param(1)} AND ${this.live(ns)} LIMIT 1`);
      const out: string[] = [];
      let rows = await this.client.query({ text: first, values: [low] });
      while (rows.length > 0 && out.length < limit) {
        const tag = String(rows[0][0]);
        if (high !== null && compareCodePoints(tag, high) >= 0) break;
        if ((await this.client.query({ text: alive, values: [tag] })).length > 0) out.push(tag);
        rows = await this.client.query({ text: next, values: [tag] });
      }
      return out;
    } catch (err) {
      throw this.error("tagKeys failed", err);
    }
  }

  /** Rows of one tag in a prefix range: the WHERE clause (after `t.tag = $1`) and its values. */
  private valueRange(prefix: string): { where: string; values: string[] } {
    const { low, high } = prefixRange(prefix);
    const p = (i: number) => this.dialect.param(i);
    return high === null ? { where: `t.value >= ${p(2)}`, values: [low] } : { where: `t.value >= ${p(2)} AND t.value < ${p(3)}`, values: [low, high] };
  }

  async tagValues(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<string[]> {
    return (await this.valuesOf(ns, tag, prefix, limit, false)).map((v) => v.value);
  }

  async tagCounts(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<TagValueCount[]> {
    return this.valuesOf(ns, tag, prefix, limit, true);
  }

  /** One grouped pass over the tag's rows in key order; LIMIT lets the server stop early. */
  private async valuesOf(ns: Namespace, tag: string, prefix: string, limit: number, counts: boolean): Promise<TagValueCount[]> {
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const d = this.dialect;
      const range = this.valueRange(prefix);
      const text = this.text(`tagValues:${ns.prefix}:${ns.type}:${range.values.length}:${counts}:${Number.isFinite(limit)}`, () =>
        `SELECT ${d.text("t.value")}${counts ? ", COUNT(*)" : ""} FROM ${t.tags} t WHERE t.tag = ${d.param(1)} AND ${range.where} AND ${this.live(ns)}
         GROUP BY t.value ORDER BY t.value${Number.isFinite(limit) ? ` LIMIT ${d.param(range.values.length + 2)}` : ""}`,
      );
      const rows = await this.client.query({ text, values: [tag, ...range.values, ...(Number.isFinite(limit) ? [limit] : [])] });
      return rows.map((r) => ({ value: String(r[0]), count: counts ? Number(r[1]) : 0 }));
    } catch (err) {
      throw this.error(counts ? "tagCounts failed" : "tagValues failed", err);
    }
  }

  /**
   * Candidates from the condition with the fewest index rows (counted, capped), each checked against the
   * other conditions through the `(name_id, tag)` index and for data, then named.
   */
  async findTagged(ns: Namespace, conditions: readonly TagCondition[]): Promise<string[]> {
    if (conditions.length === 0 || conditions.some((c) => c.values.length === 0)) return [];
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const d = this.dialect;
      const values = conditions.map((c) => [...new Set(c.values)]);
      const sizeText = this.text(`tagSize:${ns.prefix}`, () =>
        `SELECT COUNT(*) FROM (SELECT 1 FROM ${t.tags} WHERE tag = ${d.param(1)} AND value ${d.inList(2, "text")} LIMIT 1000000) x`,
      );
      const sizes = conditions.length === 1 ? [0] : await Promise.all(conditions.map(async (c, i) => Number((await this.client.query({ text: sizeText, values: [c.tag, values[i]] }))[0][0])));
      const order = conditions.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
      if (conditions.length > 1 && sizes[order[0]] === 0) return [];
      const text = this.text(`tagFind:${ns.prefix}:${ns.type}:${conditions.length}`, () => {
        const checks = order.slice(1).map((_, j) => `AND EXISTS (SELECT 1 FROM ${t.tags} o WHERE o.name_id = t.name_id AND o.tag = ${d.param(2 * j + 3)} AND o.value ${d.inList(2 * j + 4, "text")})`);
        return `SELECT ${d.text("n.name")} FROM ${t.tags} t JOIN ${t.names} n ON n.id = t.name_id
          WHERE t.tag = ${d.param(1)} AND t.value ${d.inList(2, "text")} ${checks.join(" ")} AND ${this.live(ns)}`;
      });
      const args: unknown[] = [];
      for (const i of order) args.push(conditions[i].tag, values[i]);
      const rows = await this.client.query({ text, values: args });
      return [...new Set(rows.map((r) => String(r[0])))].sort(compareCodePoints);
    } catch (err) {
      throw this.error("findTagged failed", err);
    }
  }

  // Name rows are never deleted: another process may hold their ids in its cache.
  async delete(ns: Namespace, name: string): Promise<void> {
    try {
      await this.ensure(ns);
      const t = this.tables(ns.prefix);
      const text = this.text(`delete:${ns.prefix}:${ns.type}`, () =>
        `DELETE FROM ${t[ns.type]} WHERE name_id = (SELECT id FROM ${t.names} WHERE name = ${this.dialect.param(1)})`,
      );
      await this.client.query({ text, values: [name] });
    } catch (err) {
      throw this.error("delete failed", err);
    }
  }

  async deleteAll(ns: Namespace): Promise<void> {
    try {
      await this.ensure(ns);
      await this.client.query({ text: `DELETE FROM ${this.tables(ns.prefix)[ns.type]}`, values: [] });
    } catch (err) {
      throw this.error("delete_all failed", err);
    }
  }

  async expire(ns: Namespace, interval: string, before: number, name?: string): Promise<void> {
    try {
      await this.ensure(ns);
      const q = await this.expireQuery(ns, interval, before, name);
      if (q) await this.client.query(q);
    } catch (err) {
      throw this.error("expire failed", err);
    }
  }

  /**
   * The DELETE behind {@link expire}, or null when the interval (or name)
   * was never written. Ids are looked up first rather than in a subquery:
   * with constants the planners of both servers choose a range on the
   * (interval_id, bucket) index, which a subquery can hide from MySQL's.
   * Public so tests can EXPLAIN it.
   */
  async expireQuery(ns: Namespace, interval: string, before: number, name?: string): Promise<Query | null> {
    const { nameIds, ivId } = await this.resolve(ns, name === undefined ? [] : [name], interval);
    if (ivId === undefined) return null;
    const table = this.tables(ns.prefix)[ns.type];
    const p = (i: number) => this.dialect.param(i);
    if (name === undefined) return { text: `DELETE FROM ${table} WHERE interval_id = ${p(1)} AND bucket < ${p(2)}`, values: [ivId, before] };
    const nameId = nameIds.get(name);
    if (nameId === undefined) return null;
    return { text: `DELETE FROM ${table} WHERE name_id = ${p(1)} AND interval_id = ${p(2)} AND bucket < ${p(3)}`, values: [nameId, ivId, before] };
  }

  /** Prefixes whose tables this store has created or checked (tests clean these up). */
  get prefixes(): string[] {
    return [...new Set([...[...this.ready.keys()].map((k) => k.slice(0, k.indexOf("\0"))), ...(this.events?.prefixes ?? [])])];
  }

  /** Drops every table of a prefix. For tests and tools; never called by the library. */
  async dropTables(prefix: string): Promise<void> {
    const t = this.tables(prefix);
    try {
      for (const kind of TABLE_KINDS) await this.client.query({ text: `DROP TABLE IF EXISTS ${t[kind]}`, values: [] });
      await this.events?.drop(prefix);
    } catch (err) {
      throw this.error("drop failed", err);
    }
    for (const key of [...this.ready.keys()]) if (key.startsWith(`${prefix}\0`)) this.ready.delete(key);
    this.ids.delete(prefix);
    this.names.forget(prefix);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
