import type { TorusErrorCode } from "../errors/catalogue.js";

export type { TorusErrorCode } from "../errors/catalogue.js";

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
} as const satisfies Record<string, TorusErrorCode>;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Any coded error of Torus: the library's, and (as subclasses) the configuration's, the query server's, Graphite's. */
export class TorusError extends Error {
  readonly code: TorusErrorCode;
  readonly field: string | undefined;
  readonly value: unknown;
  /**
   * For a value or name ingest refuses: the counter label that says why
   * (`not_finite`, `nul_byte`, `name_too_long`, `value_too_long`), when
   * it is more specific than "a bad value".
   */
  readonly reason: string | undefined;

  constructor(code: TorusErrorCode, message: string, details: { field?: string; value?: unknown; cause?: unknown; reason?: string } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "TorusError";
    this.code = code;
    this.field = details.field;
    this.value = details.value;
    this.reason = details.reason;
  }
}

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

/** Quote a user value for an error message, shortened so a 10 KB name cannot flood a log. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : typeof value === "function" ? "[function]" : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
