import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceSuite } from "../../conformance.case.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "torus-sqlite-"));

conformanceSuite({
  label: "sqlite file",
  open: async () => new SqliteStore(`sqlite:///${join(dir, "conformance.db")}`),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

conformanceSuite({
  label: "sqlite file, writer thread",
  open: async () => new SqliteStore(`sqlite:///${join(dir, "conformance-writer.db")}`, { writer_thread: true }),
});

conformanceSuite({
  label: "sqlite :memory:",
  open: async () => new SqliteStore("sqlite:///:memory:"),
});
