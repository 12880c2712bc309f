import { createHash } from "node:crypto";
import type { EventLog, NewEvent, StoredEvent } from "../../store.js";
import { tableStem } from "../table-stem.js";
import type { SqlClient, SqlDialect } from "./sql-dialect.js";

/** The events table of one prefix and the name of its index on (when_s, id). */
export interface EventTables {
  readonly table: string;
  readonly index: string;
}

/** What differs between SQL servers for events: the table's DDL and how an insert hands back its id. */
export interface EventsDialect {
  /** `CREATE … IF NOT EXISTS` statements for the table (id, when_s, what, data, tags) and its index on (when_s, id). */
  createTable(t: EventTables): string[];
  /** Insert one row (`when_s, what, data, tags` in that order) and return its id. */
  insert(client: SqlClient, table: string, values: readonly [number, string, string, string]): Promise<number>;
}

/** The longest name suffix: `events_when`. */
const SUFFIX = "events_when";

/**
 * Events on a SQL server, one table per prefix (`<stem>events`) created on
 * first use under the same cross-process lock as the data tables. Ids come
 * from the server's identity column, and a range read is one scan of the
 * (when_s, id) index.
 */
export class SqlEvents implements EventLog {
  private readonly ready = new Map<string, Promise<EventTables>>();

  constructor(
    private readonly client: SqlClient,
    private readonly dialect: SqlDialect,
    private readonly events: EventsDialect,
    private readonly error: (what: string, err: unknown) => Error,
  ) {}

  /** Table names of a prefix: distinct per prefix (see tableStem) and within the server's identifier limit. */
  tables(prefix: string): EventTables {
    const stem = tableStem(prefix, this.dialect.maxIdentifierBytes - SUFFIX.length);
    return { table: this.dialect.ident(`${stem}events`), index: this.dialect.ident(`${stem}${SUFFIX}`) };
  }

  private ensure(prefix: string): Promise<EventTables> {
    let done = this.ready.get(prefix);
    if (!done) {
      const t = this.tables(prefix);
      const lock = `torus:events:${createHash("sha1").update(prefix).digest("hex")}`;
      done = this.client
        .exclusive(lock, async (s) => {
          for (const ddl of this.events.createTable(t)) await s.query({ text: ddl, values: [] });
        })
        .then(() => t);
      this.ready.set(prefix, done);
      done.catch(() => this.ready.delete(prefix));
    }
    return done;
  }

  private select(t: EventTables): string {
    const d = this.dialect;
    return `SELECT id, when_s, ${d.text("what")}, ${d.text("data")}, ${d.text("tags")} FROM ${t.table}`;
  }

  async add(prefix: string, event: NewEvent): Promise<number> {
    try {
      const t = await this.ensure(prefix);
      return await this.events.insert(this.client, t.table, [event.when, event.what, event.data, JSON.stringify(event.tags)]);
    } catch (err) {
      throw this.error("add event failed", err);
    }
  }

  async range(prefix: string, from: number, until: number): Promise<StoredEvent[]> {
    try {
      const t = await this.ensure(prefix);
      const p = (i: number) => this.dialect.param(i);
      const rows = await this.client.query({ text: `${this.select(t)} WHERE when_s BETWEEN ${p(1)} AND ${p(2)} ORDER BY when_s, id`, values: [from, until] });
      return rows.map(eventOf);
    } catch (err) {
      throw this.error("read events failed", err);
    }
  }

  async get(prefix: string, id: number): Promise<StoredEvent | null> {
    try {
      const t = await this.ensure(prefix);
      const rows = await this.client.query({ text: `${this.select(t)} WHERE id = ${this.dialect.param(1)}`, values: [id] });
      return rows.length === 0 ? null : eventOf(rows[0]);
    } catch (err) {
      throw this.error("read event failed", err);
    }
  }

  async delete(prefix: string, id: number): Promise<boolean> {
    try {
      const t = await this.ensure(prefix);
      const p = (i: number) => this.dialect.param(i);
      // Drivers report affected rows each their own way (the seam returns rows only): a locked look-up tells alike everywhere.
      return await this.client.transaction(async (s) => {
        const found = await s.query({ text: `SELECT id FROM ${t.table} WHERE id = ${p(1)} FOR UPDATE`, values: [id] });
        if (found.length === 0) return false;
        await s.query({ text: `DELETE FROM ${t.table} WHERE id = ${p(1)}`, values: [id] });
        return true;
      });
    } catch (err) {
      throw this.error("delete event failed", err);
    }
  }

  /** Prefixes whose table this process created or checked (tests drop them). */
  get prefixes(): string[] {
    return [...this.ready.keys()];
  }

  /** Drops a prefix's events table. For tests and tools. */
  async drop(prefix: string): Promise<void> {
    await this.client.query({ text: `DROP TABLE IF EXISTS ${this.tables(prefix).table}`, values: [] });
    this.ready.delete(prefix);
  }
}

function eventOf(r: unknown[]): StoredEvent {
  return { id: Number(r[0]), when: Number(r[1]), what: String(r[2]), data: String(r[3]), tags: JSON.parse(String(r[4])) as string[] };
}
