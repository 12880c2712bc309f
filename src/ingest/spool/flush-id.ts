import { randomBytes } from "node:crypto";
import type { WriteBatch } from "../../timeseries/index.js";

/** This process as a flush writer: random, so two karbons (or one before and after a restart) never share ids. */
const WRITER = randomBytes(8).toString("hex");
let seq = 0;

/**
 * Give a batch about to be spooled a flush id (`writer:seq`) when its
 * producer has not: a spooled batch is replayed by a later process, and
 * the id is what lets a store skip one it already applied. An id already
 * set is kept, so retries and the spool agree.
 */
export function ensureFlushId(batch: WriteBatch): void {
  if (batch.flushId === undefined) batch.flushId = `${WRITER}:${++seq}`;
}
