import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceSuite, KEEPS_FIRST_PLACE, RELISTS_REWRITTEN } from "../../testing/conformance.js";
import { SqliteStore } from "./sqlite-store.js";

/** A file in a fresh directory, removed after its suite. */
function fileTarget(label: string, clientConfig: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "torus-sqlite-"));
  return {
    label,
    skip: { [RELISTS_REWRITTEN]: KEEPS_FIRST_PLACE },
    open: async () => new SqliteStore(`sqlite:///${join(dir, "conformance.db")}`, clientConfig),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

conformanceSuite(fileTarget("sqlite file"));
conformanceSuite(fileTarget("sqlite file, writer thread", { writer_thread: true }));
conformanceSuite({ label: "sqlite :memory:", skip: { [RELISTS_REWRITTEN]: KEEPS_FIRST_PLACE }, open: async () => new SqliteStore("sqlite:///:memory:") });
