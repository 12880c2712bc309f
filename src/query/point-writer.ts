import type { WritePath } from "../runtime/write-path.js";
import { QueryError, QueryErrorCodes } from "./query-error.js";

/** How `/insert` writes: one point through routing, stored before the call resolves. */
export interface PointWriter {
  /** Returns how many writes the point made (schemas × names it reached). */
  insert(stat: string, value: string, timestamp: number): Promise<number>;
}

/**
 * `/insert` through a server's write path (karbon's dispatcher and write
 * buffers), so a point sent over HTTP lands exactly where the same line over
 * TCP would and is stored before the answer; what the sink reports becomes
 * the HTTP error.
 */
export function pointWriter(sink: WritePath): PointWriter {
  return {
    async insert(stat, value, timestamp) {
      const { staged, rejection, stored } = await sink.write(stat, value, timestamp);
      if (staged === 0 && rejection) {
        const reason = rejection.reason;
        if (reason === "too_far_future" || reason === "too_far_past") {
          throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `timestamp: ${rejection.message.replace(/^timestamp /, "")} (${reason})`, "timestamp");
        }
        throw new QueryError(
          400,
          QueryErrorCodes.BAD_PARAMETER,
          `value: every schema matching ${JSON.stringify(stat)} rejected value ${JSON.stringify(value)} (${reason}: ${rejection.message})`,
          "value",
        );
      }
      if (staged > 0 && !stored) {
        throw new QueryError(500, QueryErrorCodes.INTERNAL, "store failed while writing the point; karbon keeps it and retries");
      }
      // The store may refuse a row staging could not judge (a sum that overflows what it already holds).
      if (rejection) {
        throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `value: the store refused ${JSON.stringify(stat)} ${JSON.stringify(value)} (${rejection.reason}: ${rejection.message})`, "value");
      }
      return staged;
    },
  };
}
