import type { TorusErrorCode } from "../errors/catalogue.js";
import { TorusError } from "../timeseries/index.js";

export const ConfigErrorCodes = {
  LOAD: "TORUS_ERR_CONFIG_LOAD",
  INVALID: "TORUS_ERR_CONFIG_INVALID",
} as const satisfies Record<string, TorusErrorCode>;

/** A configuration that cannot be loaded or used; the message names the file, schema and field. */
export class ConfigError extends TorusError {
  /** Its own codes, or a library code when it wraps a library error about a schema. */
  constructor(code: TorusErrorCode, message: string, details: { field?: string; value?: unknown; cause?: unknown } = {}) {
    super(code, message, details);
    this.name = "ConfigError";
  }
}
