/**
 * Runs the conformance suite against a SQL server for tests: finds a
 * reachable URL, and drops every table the suite created afterwards.
 * Without a reachable server the suite is skipped loudly, except under CI
 * (`CI=true`), where it runs and fails.
 */
import { describe, it } from "vitest";
import { conformanceSuite } from "./conformance.js";
import { redactUrl } from "../backends/url.js";
import type { SqlStore } from "../backends/sql/sql-store.js";
import { REQUIRED } from "./must-run.js";

export interface SqlTestServer {
  /** "PostgreSQL", "MariaDB": shown in test names and messages. */
  label: string;
  /** URLs to try in order (the env override first when set). */
  urls: readonly string[];
  /** The environment variable that overrides the URL, for the skip message. */
  envVar: string;
  open(url: string): Promise<SqlStore>;
}

/** The first URL that opens, or the error of the last one tried. */
export async function findServer(server: SqlTestServer): Promise<{ url: string } | { error: unknown }> {
  let error: unknown;
  for (const url of server.urls) {
    try {
      const store = await server.open(url);
      await store.close();
      return { url };
    } catch (err) {
      error = err;
    }
  }
  return { error };
}


/** Registers the conformance suite for a server, or a loud skip when it is unreachable outside CI. */
export async function sqlConformance(server: SqlTestServer): Promise<string | undefined> {
  const found = await findServer(server);
  if ("error" in found && !REQUIRED) {
    console.warn(
      `\n*** ${server.label} tests SKIPPED: no server at ${server.urls.map(redactUrl).join(" or ")} (${(found.error as Error)?.message ?? found.error}). ` +
        `Start one or set ${server.envVar}; under CI=true these tests fail instead. ***\n`,
    );
    describe.skip(`conformance: ${server.label}`, () => it("needs a reachable server", () => {}));
    return undefined;
  }
  const url = "url" in found ? found.url : server.urls[0];
  let store: SqlStore | undefined;
  const prefixes = new Set<string>();
  conformanceSuite({
    label: server.label,
    changeToken: false,
    relistsRewritten: false,
    open: async () => (store = await server.open(url)),
    cleanup: async () => {
      // The suite closed its store: drop the tables of every prefix it used, through a fresh one.
      for (const p of store?.prefixes ?? []) prefixes.add(p);
      if (prefixes.size === 0) return;
      const cleaner = await server.open(url);
      try {
        for (const p of prefixes) await cleaner.dropTables(p);
      } finally {
        await cleaner.close();
      }
    },
  });
  return url;
}
