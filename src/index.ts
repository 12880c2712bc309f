/**
 * Torus: the names a configuration module imports.
 *
 *   import { defineConfig, long_or_float } from "torus";
 */
export { defineConfig, type MacroSpec, type SchemaSpec, type TorusConfig } from "./config/define-config.js";
export { long_or_float } from "./timeseries/values.js";
export type { IntervalSpec, TransformFn, TypeName } from "./timeseries/index.js";
