import { TorusError, type ErrorCode } from "../timeseries/index.js";

export const ConfigErrorCodes = {
  LOAD: "TORUS_ERR_CONFIG_LOAD",
  INVALID: "TORUS_ERR_CONFIG_INVALID",
} as const;

/** A configuration that cannot be loaded or used; the message names the file, schema and field. */
export class ConfigError extends TorusError {
  constructor(code: (typeof ConfigErrorCodes)[keyof typeof ConfigErrorCodes] | ErrorCode, message: string, details: { field?: string; value?: unknown; cause?: unknown } = {}) {
    super(code as ErrorCode, message, details);
    this.name = "ConfigError";
  }
}
