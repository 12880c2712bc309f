import { ERROR_CATALOGUE, type ErrorEntry } from "../errors/catalogue.js";
import { QueryError, QueryErrorCodes } from "../errors/query-error.js";
import { ErrorCodes, StoreError, TorusError } from "../timeseries/index.js";

export { QueryError, QueryErrorCodes, badParameter, missingParameter, type QueryErrorCode } from "../errors/query-error.js";

/** Library codes that mean the request asked for something invalid (400), not that a store failed. */
const USER_CODES = new Set<string>([
  ErrorCodes.BAD_OPTION,
  ErrorCodes.BAD_STEPS,
  ErrorCodes.BAD_VALUE,
  ErrorCodes.UNKNOWN_INTERVAL,
  ErrorCodes.UNKNOWN_TRANSFORM,
  ErrorCodes.BAD_INTERVAL,
  ErrorCodes.BAD_RESOLUTION,
  ErrorCodes.RELAY_READ,
]);

/** What a client is told of a failure on our side: no hosts, paths, users or driver text (those go to the log). */
export const STORE_FAILED_MESSAGE = "a store failed; the server log has the details";
export const INTERNAL_MESSAGE = "internal error; the server log has the details";

/**
 * Map anything a handler threw to (status, code, message), plus the
 * `detail` to log when the message withholds it. Bad input is 400 with a
 * message naming it. A store failure or anything else (a configured
 * function that threw) is a 500 whose message says only which kind it
 * was: driver messages carry URLs, hosts, file paths and user names.
 */
export function classifyError(err: unknown): { status: number; code: string; message: string; detail?: string } {
  if (err instanceof QueryError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof StoreError) return { status: 500, code: err.code, message: STORE_FAILED_MESSAGE, detail: err.message };
  if (err instanceof TorusError && USER_CODES.has(err.code)) return { status: 400, code: err.code, message: err.message };
  // Every Graphite code (a target, a time, a pattern, a function's arguments) is the request's mistake.
  if (err instanceof TorusError && (ERROR_CATALOGUE as Record<string, ErrorEntry>)[err.code]?.area === "graphite") return { status: 400, code: err.code, message: err.message };
  const fastify = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, code: fastify.code ?? QueryErrorCodes.BAD_PARAMETER, message: String(fastify.message) };
  }
  const detail = String((err as Error)?.message ?? err).split("\n")[0];
  return { status: 500, code: (err as TorusError)?.code ?? QueryErrorCodes.INTERNAL, message: INTERNAL_MESSAGE, detail };
}
