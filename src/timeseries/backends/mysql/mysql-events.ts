import type { EventsDialect } from "../sql/sql-events.js";

/**
 * MySQL/MariaDB events: text as bytes like every other column of the store
 * (see mysql-client.ts), the id read back with LAST_INSERT_ID() on the
 * connection that inserted.
 */
export const mysqlEvents: EventsDialect = {
  createTable: ({ table, index }) => [
    `CREATE TABLE IF NOT EXISTS ${table} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, when_s DOUBLE NOT NULL, what MEDIUMBLOB NOT NULL, data MEDIUMBLOB NOT NULL, tags MEDIUMBLOB NOT NULL, KEY ${index} (when_s, id)) ENGINE=InnoDB`,
  ],
  insert: (client, table, values) =>
    client.transaction(async (s) => {
      await s.query({ text: `INSERT INTO ${table} (when_s, what, data, tags) VALUES (?, ?, ?, ?)`, values });
      const rows = await s.query({ text: "SELECT LAST_INSERT_ID()", values: [] });
      return Number(rows[0][0]);
    }),
};
