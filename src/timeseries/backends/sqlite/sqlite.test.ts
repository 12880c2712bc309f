import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceSuite } from "../../testing/conformance.js";
import { SqliteStore } from "./sqlite-store.js";

/** A file in a fresh directory, removed after its suite. */
function fileTarget(label: string, clientConfig: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "torus-sqlite-"));
  return {
    label,
    open: async () => new SqliteStore(`sqlite:///${join(dir, "conformance.db")}`, clientConfig),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

conformanceSuite(fileTarget("sqlite file"));
conformanceSuite(fileTarget("sqlite file, writer thread", { writer_thread: true }));
conformanceSuite({ label: "sqlite :memory:", open: async () => new SqliteStore("sqlite:///:memory:") });
