import v8 from "node:v8";
import { ConfigError, ConfigErrorCodes } from "../config/config-error.js";

/**
 * How much V8 lets the heap grow past what survived the last full
 * collection, in percent. By default V8 lets a busy heap reach about four
 * times its live size before collecting, which for an ingest server with a
 * steady live set (routes, interned names, buffered rows) means most of its
 * memory is garbage waiting. 30% keeps the peak near 1.3 × live for a few
 * percent more collector time. `TORUS_HEAP_GROWTH=0` restores V8's default.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 30;

/** Apply the heap growth limit to this process (V8 reads it at each full collection). */
export function limitHeapGrowth(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TORUS_HEAP_GROWTH;
  const percent = raw === undefined || raw === "" ? DEFAULT_HEAP_GROWTH_PERCENT : Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new ConfigError(ConfigErrorCodes.INVALID, `TORUS_HEAP_GROWTH: expected a whole number of percent from 0 (V8's default) to 1000, got ${JSON.stringify(raw)}`, { field: "TORUS_HEAP_GROWTH", value: raw });
  }
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
