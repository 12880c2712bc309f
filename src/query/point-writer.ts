import type { Karbon } from "../ingest/karbon.js";
import { QueryError, QueryErrorCodes } from "./query-error.js";

/** How `/insert` writes: one point through routing, stored before the call resolves. */
export interface PointWriter {
  /** Returns how many writes the point made (schemas × names it reached). */
  insert(stat: string, value: string, timestamp: number): Promise<number>;
}

/**
 * `/insert` through karbon's own dispatcher and write buffers, so a point
 * sent over HTTP lands exactly where the same line over TCP would, then a
 * flush so it is stored before the answer.
 */
export function karbonWriter(karbon: Karbon): PointWriter {
  return {
    async insert(stat, value, timestamp) {
      const dispatcher = karbon.current;
      const mark = karbon.rejectionMark;
      const staged = dispatcher.process(stat, value, timestamp);
      if (staged === 0 && dispatcher.lastRejection) {
        const reason = dispatcher.lastReason ?? "bad_value";
        if (reason === "too_far_future" || reason === "too_far_past") {
          throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `timestamp: ${dispatcher.lastRejection.message.replace(/^timestamp /, "")} (${reason})`, "timestamp");
        }
        throw new QueryError(
          400,
          QueryErrorCodes.BAD_PARAMETER,
          `value: every schema matching ${JSON.stringify(stat)} rejected value ${JSON.stringify(value)} (${reason}: ${dispatcher.lastRejection.message})`,
          "value",
        );
      }
      if (staged > 0 && !(await karbon.flush())) {
        throw new QueryError(500, QueryErrorCodes.INTERNAL, "store failed while writing the point; karbon keeps it and retries");
      }
      // The store may refuse a row staging could not judge (a sum that overflows what it already holds).
      const refused = staged > 0 ? karbon.rejectedSince(mark, stat) : undefined;
      if (refused) {
        throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `value: the store refused ${JSON.stringify(stat)} ${JSON.stringify(value)} (${refused.reason}: ${refused.message})`, "value");
      }
      return staged;
    },
  };
}
