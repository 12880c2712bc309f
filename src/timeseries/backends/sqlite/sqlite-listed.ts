/**
 * The log `listAfter` reads on SQLite: `<stem>listed (seq, type, name_id)`,
 * one row each time a name gets its first `<type>_keys` row — a new name, a
 * name's first data of that type, or a name deleted or expired and written
 * again — and gone when its last `<type>_keys` row goes. Triggers on the
 * keys tables keep it, inside the writing transaction, so writers need no
 * code for it and a process from before the log cannot skip it once the
 * triggers exist. `seq` is AUTOINCREMENT: never reused, so a cursor never
 * falls behind a row inserted later. A file made before the log gets it on
 * first open, filled from the keys tables.
 */
import type Database from "better-sqlite3";
import { TYPE_NAMES } from "../../store.js";
import { ident } from "./sqlite-schema.js";

export function ensureListed(db: Database.Database, stem: string): void {
  const t = (s: string) => ident(stem + s);
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const triggers = TYPE_NAMES.map((type) => {
    const keys = t(`${type}_keys`);
    return `
      CREATE TRIGGER IF NOT EXISTS ${t(`${type}_listed_in`)} AFTER INSERT ON ${keys}
        WHEN NOT EXISTS (SELECT 1 FROM ${keys} k WHERE k.name_id = NEW.name_id AND k.interval_id <> NEW.interval_id)
        BEGIN INSERT INTO ${t("listed")} (type, name_id) VALUES (${lit(type)}, NEW.name_id); END;
      CREATE TRIGGER IF NOT EXISTS ${t(`${type}_listed_out`)} AFTER DELETE ON ${keys}
        WHEN NOT EXISTS (SELECT 1 FROM ${keys} k WHERE k.name_id = OLD.name_id)
        BEGIN DELETE FROM ${t("listed")} WHERE type = ${lit(type)} AND name_id = OLD.name_id; END;`;
  }).join("\n");
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
  if (exists.get(`${stem}listed`) !== undefined) {
    db.exec(triggers);
    return;
  }
  db.transaction(() => {
    if (exists.get(`${stem}listed`) !== undefined) return; // another connection made it meanwhile
    db.exec(`
      CREATE TABLE ${t("listed")} (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, name_id INTEGER NOT NULL);
      CREATE INDEX ${t("listed_type")} ON ${t("listed")} (type, seq);
      ${TYPE_NAMES.map((type) => `INSERT INTO ${t("listed")} (type, name_id) SELECT ${lit(type)}, name_id FROM ${t(`${type}_keys`)} GROUP BY name_id ORDER BY name_id;`).join("\n")}
      ${triggers}`);
  })();
}
