import { TorusError } from "../errors/torus-error.js";
import type { TorusErrorCode } from "../errors/catalogue.js";

export type { TorusErrorCode } from "../errors/catalogue.js";
// The coded error class and the quoting helper live in the leaf src/errors/, so every layer shares one class.
export { TorusError, quote } from "../errors/torus-error.js";

/**
 * The library's errors: every error carries a stable code (one of the
 * catalogue's, src/errors/catalogue.ts), the field at fault and the value
 * that was rejected, so callers (config loader, HTTP layer, ingest) can
 * report it without parsing messages. These are the library's own codes.
 */
export const ErrorCodes = {
  BAD_TYPE: "TORUS_ERR_BAD_TYPE",
  BAD_INTERVAL: "TORUS_ERR_BAD_INTERVAL",
  BAD_RESOLUTION: "TORUS_ERR_BAD_RESOLUTION",
  BAD_STEPS: "TORUS_ERR_BAD_STEPS",
  BAD_VALUE: "TORUS_ERR_BAD_VALUE",
  BAD_OPTION: "TORUS_ERR_BAD_OPTION",
  BAD_URL: "TORUS_ERR_BAD_URL",
  UNSUPPORTED_URL: "TORUS_ERR_UNSUPPORTED_URL",
  UNKNOWN_INTERVAL: "TORUS_ERR_UNKNOWN_INTERVAL",
  UNKNOWN_TRANSFORM: "TORUS_ERR_UNKNOWN_TRANSFORM",
  STORE: "TORUS_ERR_STORE",
  RELAY_READ: "TORUS_ERR_RELAY_READ",
} as const satisfies Record<string, TorusErrorCode>;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * A store that is down, slow or refused a write. `retryable` tells the
 * ingest path it may keep the batch and try again: batches are applied in
 * one transaction, so a failed batch left nothing behind.
 */
export class StoreError extends TorusError {
  readonly retryable: boolean;
  readonly url: string;

  constructor(url: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(ErrorCodes.STORE, `${url}: ${message}`, { field: "host", value: url, cause: options.cause });
    this.name = "StoreError";
    this.url = url;
    this.retryable = options.retryable ?? true;
  }
}

/**
 * A batch merged from several flushes (`WriteBatch.flushIds`) of which the
 * store had applied some, but not all, in earlier writes: it applied
 * nothing. Write the flushes one by one instead; each is then applied or
 * recognised on its own.
 */
export class FlushOverlapError extends StoreError {
  constructor(
    url: string,
    readonly applied: number,
    readonly of: number,
  ) {
    super(url, `write: ${applied} of the ${of} flushes merged into this batch were applied before; nothing was written (write them one by one)`, { retryable: false });
    this.name = "FlushOverlapError";
  }
}
