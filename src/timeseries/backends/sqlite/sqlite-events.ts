import type Database from "better-sqlite3";
import type { EventLog, NewEvent, StoredEvent } from "../../store.js";
import { tableStem } from "../table-stem.js";
import { ident } from "./sqlite-schema.js";

interface Statements {
  insert: Database.Statement<unknown[]>;
  range: Database.Statement<unknown[]>;
  get: Database.Statement<unknown[]>;
  delete: Database.Statement<unknown[]>;
}

type EventRow = { id: number; when_s: number; what: string; data: string; tags: string };

const eventOf = (r: EventRow): StoredEvent => ({ id: r.id, when: r.when_s, what: r.what, data: r.data, tags: JSON.parse(r.tags) as string[] });

/**
 * Events in the SQLite file, one table per prefix (`<stem>events`): an
 * AUTOINCREMENT id (never reused after a delete, as graphite-web's), and an
 * index on (when, id) so a range read is one index range scan. Written on
 * the store's own connection, outside its batch path: an event is one row.
 */
export class SqliteEvents implements EventLog {
  private readonly statements = new Map<string, Statements>();

  constructor(
    private readonly db: Database.Database,
    private readonly fail: (what: string, err: unknown) => never,
  ) {}

  private prepared(prefix: string): Statements {
    let s = this.statements.get(prefix);
    if (s) return s;
    const stem = tableStem(prefix, Infinity);
    const table = ident(`${stem}events`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, when_s REAL NOT NULL, what TEXT NOT NULL, data TEXT NOT NULL, tags TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ${ident(`${stem}events_when`)} ON ${table} (when_s, id);`);
    s = {
      insert: this.db.prepare(`INSERT INTO ${table} (when_s, what, data, tags) VALUES (?, ?, ?, ?)`),
      range: this.db.prepare(`SELECT id, when_s, what, data, tags FROM ${table} WHERE when_s BETWEEN ? AND ? ORDER BY when_s, id`),
      get: this.db.prepare(`SELECT id, when_s, what, data, tags FROM ${table} WHERE id = ?`),
      delete: this.db.prepare(`DELETE FROM ${table} WHERE id = ?`),
    };
    this.statements.set(prefix, s);
    return s;
  }

  async add(prefix: string, event: NewEvent): Promise<number> {
    try {
      const info = this.prepared(prefix).insert.run(event.when, event.what, event.data, JSON.stringify(event.tags));
      return Number(info.lastInsertRowid);
    } catch (err) {
      this.fail("add event", err);
    }
  }

  async range(prefix: string, from: number, until: number): Promise<StoredEvent[]> {
    try {
      return (this.prepared(prefix).range.all(from, until) as EventRow[]).map(eventOf);
    } catch (err) {
      this.fail("read events", err);
    }
  }

  async get(prefix: string, id: number): Promise<StoredEvent | null> {
    try {
      const row = this.prepared(prefix).get.get(id) as EventRow | undefined;
      return row === undefined ? null : eventOf(row);
    } catch (err) {
      this.fail("read event", err);
    }
  }

  async delete(prefix: string, id: number): Promise<boolean> {
    try {
      return this.prepared(prefix).delete.run(id).changes > 0;
    } catch (err) {
      this.fail("delete event", err);
    }
  }
}
