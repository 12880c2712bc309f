import type { TorusErrorCode } from "../errors/catalogue.js";
import { quote } from "../timeseries/errors.js";
import { ErrorCodes, StoreError, TorusError } from "../timeseries/index.js";

/** Stable codes of the query API's own errors (the library's codes pass through unchanged). */
export const QueryErrorCodes = {
  MISSING_PARAMETER: "TORUS_ERR_QUERY_MISSING_PARAMETER",
  BAD_PARAMETER: "TORUS_ERR_QUERY_BAD_PARAMETER",
  BAD_TIME: "TORUS_ERR_QUERY_BAD_TIME",
  UNKNOWN_FUNCTION: "TORUS_ERR_QUERY_UNKNOWN_FUNCTION",
  TOO_MANY_BUCKETS: "TORUS_ERR_QUERY_TOO_MANY_BUCKETS",
  UNKNOWN_SCHEMA: "TORUS_ERR_QUERY_UNKNOWN_SCHEMA",
  UNKNOWN_COMMAND: "TORUS_ERR_QUERY_UNKNOWN_COMMAND",
  UNAUTHORIZED: "TORUS_ERR_QUERY_UNAUTHORIZED",
  NOT_WRITABLE: "TORUS_ERR_QUERY_NOT_WRITABLE",
  INTERNAL: "TORUS_ERR_QUERY_INTERNAL",
  TOO_MANY_STATS: "TORUS_ERR_QUERY_TOO_MANY_STATS",
  RESPONSE_TOO_LARGE: "TORUS_ERR_QUERY_RESPONSE_TOO_LARGE",
  /** More parameters than MAX_PARAMS in the query string or body (400). */
  TOO_MANY_PARAMETERS: "TORUS_ERR_QUERY_TOO_MANY_PARAMETERS",
  /** A store did not answer within QUERY_TIMEOUT (503). */
  STORE_TIMEOUT: "TORUS_ERR_QUERY_STORE_TIMEOUT",
  /** A browser page of another origin called a write endpoint (403). */
  FORBIDDEN_ORIGIN: "TORUS_ERR_QUERY_FORBIDDEN_ORIGIN",
  /** `GET /insert` without ALLOW_GET_INSERT (405). */
  METHOD_NOT_ALLOWED: "TORUS_ERR_QUERY_METHOD_NOT_ALLOWED",
} as const satisfies Record<string, TorusErrorCode>;

export type QueryErrorCode = (typeof QueryErrorCodes)[keyof typeof QueryErrorCodes];

/** An error the HTTP layer answers with `status` and `{"error": message}`. */
export class QueryError extends TorusError {
  readonly status: number;

  constructor(status: number, code: QueryErrorCode, message: string, field?: string) {
    super(code, message, field === undefined ? {} : { field });
    this.name = "QueryError";
    this.status = status;
  }
}

export const badParameter = (field: string, message: string) => new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `${field}: ${message}`, field);
export const missingParameter = (field: string, hint = "") =>
  new QueryError(400, QueryErrorCodes.MISSING_PARAMETER, `missing parameter ${quote(field)}${hint ? ` (${hint})` : ""}`, field);

/** Library codes that mean the request asked for something invalid (400), not that a store failed. */
const USER_CODES = new Set<string>([
  ErrorCodes.BAD_OPTION,
  ErrorCodes.BAD_STEPS,
  ErrorCodes.BAD_VALUE,
  ErrorCodes.UNKNOWN_INTERVAL,
  ErrorCodes.UNKNOWN_TRANSFORM,
  ErrorCodes.BAD_INTERVAL,
  ErrorCodes.BAD_RESOLUTION,
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
  const fastify = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, code: fastify.code ?? QueryErrorCodes.BAD_PARAMETER, message: String(fastify.message) };
  }
  const detail = String((err as Error)?.message ?? err).split("\n")[0];
  return { status: 500, code: (err as TorusError)?.code ?? QueryErrorCodes.INTERNAL, message: INTERNAL_MESSAGE, detail };
}
