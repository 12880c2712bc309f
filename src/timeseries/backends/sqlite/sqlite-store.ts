import Database from "better-sqlite3";
import { StoreError } from "../../errors.js";
import type { BatchPart, GaugeCell, Namespace, Properties, Row, Store, TypeName, WriteBatch } from "../../store.js";
import { redactUrl } from "../url.js";
import { READ_COLUMNS, READ_ORDER, UPSERT, ident, schemaSql } from "./sqlite-schema.js";
import { sqlitePath } from "./sqlite-url.js";

type Statement = Database.Statement<unknown[]>;

/** Rows per multi-row upsert: amortises the per-call cost of the driver. */
const CHUNK = 128;

/** Errors worth retrying: the file is locked by another process, or the disk hiccupped. */
const RETRYABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/;

/** Prepared statements and interned ids for one prefix. */
class Scope {
  readonly names = new Map<string, number>();
  readonly intervals = new Map<string, number>();
  private readonly stmts = new Map<string, Statement>();

  constructor(
    readonly db: Database.Database,
    readonly prefix: string,
  ) {
    db.exec(schemaSql(prefix));
  }

  table(type: TypeName | "names" | "intervals"): string {
    return ident(this.prefix + type);
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

  /** Id of a name or interval, creating it; `fresh` collects ids to cache only once the transaction commits. */
  intern(kind: "names" | "intervals", value: string, fresh: Array<[Map<string, number>, string, number]>): number {
    const cache = kind === "names" ? this.names : this.intervals;
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const row = this.stmt(`intern:${kind}`, () =>
      `INSERT INTO ${this.table(kind)} (name) VALUES (?) ON CONFLICT(name) DO UPDATE SET name = excluded.name RETURNING id`,
    ).get(value) as { id: number };
    fresh.push([cache, value, row.id]);
    return row.id;
  }

  /** Id of an existing name or interval, or undefined; never creates one (reads must not write). */
  lookup(kind: "names" | "intervals", value: string): number | undefined {
    const cache = kind === "names" ? this.names : this.intervals;
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const row = this.stmt(`lookup:${kind}`, () => `SELECT id FROM ${this.table(kind)} WHERE name = ?`).get(value) as { id: number } | undefined;
    if (row) cache.set(value, row.id);
    return row?.id;
  }
}

/**
 * The embedded store on better-sqlite3. WAL mode lets karbon and torus
 * share one file; a batch is one IMMEDIATE transaction of multi-row
 * upserts, so it is applied whole or not at all.
 */
export class SqliteStore implements Store {
  readonly url: string;
  readonly handle: Database.Database;
  private readonly scopes = new Map<string, Scope>();
  private readonly apply: (batch: WriteBatch, fresh: Array<[Map<string, number>, string, number]>) => void;

  constructor(url: string, clientConfig: Record<string, unknown> = {}) {
    this.url = redactUrl(url);
    const path = sqlitePath(url);
    try {
      this.handle = new Database(path, clientConfig as Database.Options);
      if (path !== ":memory:") this.handle.pragma("journal_mode = WAL");
      this.handle.pragma(`busy_timeout = ${Number(clientConfig.busy_timeout ?? 5000)}`);
      // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last commits.
      this.handle.pragma("synchronous = NORMAL");
    } catch (err) {
      throw new StoreError(this.url, `cannot open SQLite database ${JSON.stringify(path)}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
    this.apply = this.handle.transaction((batch: WriteBatch, fresh) => {
      for (const part of batch.parts.values()) this.writePart(part, fresh);
    }).immediate;
  }

  private scope(prefix: string): Scope {
    let s = this.scopes.get(prefix);
    if (!s) this.scopes.set(prefix, (s = new Scope(this.handle, prefix)));
    return s;
  }

  private fail(what: string, err: unknown): never {
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? "";
    throw new StoreError(this.url, `${what} failed: ${(err as Error).message}`, { retryable: RETRYABLE.test(code), cause: err });
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.empty) return;
    const fresh: Array<[Map<string, number>, string, number]> = [];
    try {
      for (const part of batch.parts.values()) this.scope(part.ns.prefix);
      this.apply(batch, fresh);
    } catch (err) {
      this.fail("write", err);
    }
    // Only now are the new ids real: a rolled-back transaction must not leave them cached.
    for (const [cache, value, id] of fresh) cache.set(value, id);
  }

  private writePart(part: BatchPart, fresh: Array<[Map<string, number>, string, number]>): void {
    const scope = this.scope(part.ns.prefix);
    const type = part.ns.type;
    const { columns } = UPSERT[type];
    const chunk = scope.upsert(type, CHUNK);
    const single = scope.upsert(type, 1);
    const params: unknown[] = new Array(CHUNK * columns);
    let n = 0;
    const push = (...values: unknown[]) => {
      for (let i = 0; i < values.length; i++) params[n * columns + i] = values[i];
      if (++n === CHUNK) {
        chunk.run(params);
        n = 0;
      }
    };
    const intervalIds = part.intervals.map((iv) => scope.intern("intervals", iv.name, fresh));
    for (const [name, perInterval] of part.names) {
      const nameId = scope.intern("names", name, fresh);
      for (let i = 0; i < perInterval.length; i++) {
        const cells = perInterval[i];
        if (!cells) continue;
        const iv = part.intervals[i];
        const ivId = intervalIds[i];
        for (const [sub, cell] of cells) {
          const bucket = iv.bucketOf(sub);
          const off = sub - bucket;
          switch (type) {
            case "count":
              push(nameId, ivId, bucket, off, cell as number);
              break;
            case "gauge":
              push(nameId, ivId, bucket, off, (cell as GaugeCell).value, (cell as GaugeCell).ts);
              break;
            case "histogram":
              for (const [member, count] of cell as Map<string, number>) push(nameId, ivId, bucket, off, member, count);
              break;
            case "set":
              for (const member of cell as Set<string>) push(nameId, ivId, bucket, off, member);
              break;
            case "series":
              for (const value of cell as string[]) push(nameId, ivId, bucket, off, value);
              break;
          }
        }
      }
    }
    for (let r = 0; r < n; r++) single.run(params.slice(r * columns, (r + 1) * columns));
  }

  async read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]> {
    try {
      const scope = this.scope(ns.prefix);
      const ivId = scope.lookup("intervals", interval);
      const stmt = scope.stmt(`read:${ns.type}`, () =>
        `SELECT ${READ_COLUMNS[ns.type]} FROM ${scope.table(ns.type)}
         WHERE name_id = ? AND interval_id = ? AND bucket BETWEEN ? AND ? ORDER BY ${READ_ORDER[ns.type]}`,
      ).raw(true);
      return names.map((name) => {
        const nameId = ivId === undefined ? undefined : scope.lookup("names", name);
        return nameId === undefined ? [] : (stmt.all(nameId, ivId, first, last) as Row[]);
      });
    } catch (err) {
      this.fail("read", err);
    }
  }

  async list(ns: Namespace): Promise<string[]> {
    try {
      const scope = this.scope(ns.prefix);
      const rows = scope.stmt(`list:${ns.type}`, () =>
        `SELECT n.name FROM ${scope.table("names")} n WHERE EXISTS (SELECT 1 FROM ${scope.table(ns.type)} t WHERE t.name_id = n.id)`,
      ).pluck().all() as string[];
      return rows.sort();
    } catch (err) {
      this.fail("list", err);
    }
  }

  async properties(ns: Namespace, name: string): Promise<Properties> {
    try {
      const scope = this.scope(ns.prefix);
      const nameId = scope.lookup("names", name);
      const out: Properties = {};
      if (nameId === undefined) return out;
      const rows = scope.stmt(`props:${ns.type}`, () =>
        `SELECT i.name AS interval, MIN(t.bucket) AS first, MAX(t.bucket) AS last
         FROM ${scope.table(ns.type)} t JOIN ${scope.table("intervals")} i ON i.id = t.interval_id
         WHERE t.name_id = ? GROUP BY t.interval_id`,
      ).all(nameId) as Array<{ interval: string; first: number; last: number }>;
      for (const r of rows) out[r.interval] = { first: r.first, last: r.last };
      return out;
    } catch (err) {
      this.fail("properties", err);
    }
  }

  // Name rows are never deleted: another process may hold their ids in its cache.
  async delete(ns: Namespace, name: string): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      const nameId = scope.lookup("names", name);
      if (nameId !== undefined) scope.stmt(`delete:${ns.type}`, () => `DELETE FROM ${scope.table(ns.type)} WHERE name_id = ?`).run(nameId);
    } catch (err) {
      this.fail("delete", err);
    }
  }

  async deleteAll(ns: Namespace): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      scope.stmt(`deleteAll:${ns.type}`, () => `DELETE FROM ${scope.table(ns.type)}`).run();
    } catch (err) {
      this.fail("delete_all", err);
    }
  }

  async expire(ns: Namespace, interval: string, before: number, name?: string): Promise<void> {
    try {
      const scope = this.scope(ns.prefix);
      const ivId = scope.lookup("intervals", interval);
      if (ivId === undefined) return;
      const table = scope.table(ns.type);
      if (name === undefined) {
        scope.stmt(`expireAll:${ns.type}`, () => `DELETE FROM ${table} WHERE interval_id = ? AND bucket < ?`).run(ivId, before);
      } else {
        const nameId = scope.lookup("names", name);
        if (nameId !== undefined) {
          scope.stmt(`expire:${ns.type}`, () => `DELETE FROM ${table} WHERE name_id = ? AND interval_id = ? AND bucket < ?`).run(nameId, ivId, before);
        }
      }
    } catch (err) {
      this.fail("expire", err);
    }
  }

  async close(): Promise<void> {
    if (this.handle.open) this.handle.close();
  }
}
