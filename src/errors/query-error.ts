/**
 * The query server's coded errors, with the HTTP status they answer with.
 * Here, below the query server and the time parser both, so neither reaches
 * into the other; `src/query/query-error.ts` re-exports them with the
 * mapping of every other failure to a status.
 */
import type { TorusErrorCode } from "./catalogue.js";
import { TorusError, quote } from "./torus-error.js";

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
  /** A `POST /events/` body that is not an event graphite-web would take (400). */
  BAD_EVENT: "TORUS_ERR_QUERY_BAD_EVENT",
  /** No event of that id (404). */
  UNKNOWN_EVENT: "TORUS_ERR_QUERY_UNKNOWN_EVENT",
  /** The EVENTS store keeps no events (404). */
  NO_EVENTS: "TORUS_ERR_QUERY_NO_EVENTS",
  /** A request body over the endpoint's limit (413). */
  BODY_TOO_LARGE: "TORUS_ERR_QUERY_BODY_TOO_LARGE",
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
