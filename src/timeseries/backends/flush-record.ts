/** How the SQL stores key the flush ids they record (see `WriteBatch.flushId`). */
import { createHash } from "node:crypto";

/** Longest id stored as it is; MySQL's column holds 255 bytes. */
const MAX_STORED = 128;

/**
 * The id as stored: itself, or for one grown long (a batch split many
 * times over), a digest of it, so a column limit never truncates two ids
 * into one.
 */
export function storedFlushId(id: string): string {
  return id.length <= MAX_STORED ? id : `sha256:${createHash("sha256").update(id).digest("hex")}`;
}
