export { defineConfig, type MacroSpec, type SchemaSpec, type TorusConfig } from "./define-config.js";
export { ConfigError, ConfigErrorCodes } from "./config-error.js";
export { DEFAULT_HOST, compileAggregate, compileConfig, type CompiledAggregate, type CompiledSchema, type Config, type HttpLimits } from "./compile-config.js";
export { loadConfig, mergeExports } from "./load-config.js";
