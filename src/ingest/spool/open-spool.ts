import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { redactUrl } from "../../timeseries/index.js";
import { ConfigError } from "../../config/config-error.js";
import type { Logger } from "../../logging/logger.js";
import { StoreSpool } from "./store-spool.js";

/**
 * A store's spool under `SPOOL_DIR`: `<dir>/<16 hex of the URL's SHA-256>/`
 * (a URL makes a poor file name and may hold a password), with a `STORE`
 * file naming the store, password removed, for whoever looks at the disk.
 */
export function openStoreSpool(spoolDir: string, storeUrl: string, maxBytes: number, logger: Logger): StoreSpool {
  const dir = join(spoolDir, createHash("sha256").update(storeUrl).digest("hex").slice(0, 16));
  let spool: StoreSpool;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "STORE"), `${redactUrl(storeUrl)}\n`);
    spool = new StoreSpool({ dir, maxBytes, logger });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError("TORUS_ERR_SPOOL_DIR", `SPOOL_DIR: cannot keep the spool of ${redactUrl(storeUrl)} in ${JSON.stringify(dir)} (${why}): make it writable by karbon's user, or set SPOOL_DIR to a directory that is`, {
      field: "SPOOL_DIR",
      value: spoolDir,
      cause: err,
    });
  }
  if (spool.unread > 0 || spool.stats.torn > 0) {
    logger.warn({ store: redactUrl(storeUrl), spool: spool.path, records: spool.unread, bytes: spool.stats.bytes, torn: spool.stats.torn }, "spool holds batches from an earlier run; replaying them first");
  }
  return spool;
}
