import type { TorusErrorCode } from "./catalogue.js";

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
