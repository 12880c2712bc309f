/**
 * Torus behind statsd (graphite backend, legacy namespace): counters,
 * timers and gauges in SQLite files, each at hourly, daily and monthly
 * intervals with finer resolutions inside them.
 *
 *   karbon --config examples/statsd.ts     # ingest on localhost:2003
 *   torus  --config examples/statsd.ts     # queries on localhost:8080
 *
 * Data lives in $TORUS_DATA, else $XDG_DATA_HOME/torus, else ~/.local/share/torus.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { defineConfig, long_or_float } from "torus";

const STORAGE_DIR = process.env.TORUS_DATA ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "torus");
mkdirSync(STORAGE_DIR, { recursive: true });
const sqlite = (file: string) => `sqlite:///${join(STORAGE_DIR, file)}`;

/** Exact powers of ten: 10 ** n is exact up to 10 ** 22, where doubles stop holding them. */
const POW10 = Array.from({ length: 23 }, (_, n) => 10 ** n);

/**
 * The seed's timer_hash: timers arrive as summaries (mean, upper, ...), one
 * float per flush; rounding them to two significant digits keeps a
 * histogram's cells few while keeping its shape. Gives exactly
 * `Number((Math.round(v / scale) * scale).toPrecision(2))` without making a
 * string: the two digits times (or over) an exact power of ten is one
 * correctly rounded operation, the double nearest the two-digit decimal.
 */
export function timer_hash(value: unknown): number {
  const v = long_or_float(value);
  if (v === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  const scale = 10 ** (magnitude - 1);
  const digits = Math.round(v / scale);
  const e = magnitude - 1;
  // Outside the exact powers (or with digits the rounding left odd), the string form decides.
  if (e > 22 || e < -22 || !(Math.abs(digits) <= 100) || digits === 0) return Number((digits * scale).toPrecision(2));
  // 100 (from 99.5 and up) is 1.0e(e+2): still exact as 100 times the power.
  return e >= 0 ? digits * POW10[e] : digits / POW10[-e];
}

const INTERVALS = {
  hourly: { step: "1h", resolution: 60, steps: 48 }, // minute points for two days
  daily: { step: "daily", resolution: "1h", steps: 90 }, // hourly points for three months
  monthly: { step: "monthly", resolution: "daily", steps: 24 }, // daily points for two years
};

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];
const APPS = ["web", "api", "worker"];
const FEATURES = ["login", "search", "checkout", "upload"];

export default defineConfig({
  SCHEMAS: {
    counts: {
      type: "count",
      host: sqlite("counts.db"),
      match: ["^stats_counts\\.", "^stats\\.counters\\..*\\.count$"],
      intervals: INTERVALS,
      generator: () => [`stats_counts.${pick(APPS)}.${pick(FEATURES)}`, 1 + Math.floor(Math.random() * 10)],
    },
    timers: {
      type: "histogram",
      host: sqlite("timers.db"),
      match: "^stats\\.timers\\.",
      write_func: timer_hash,
      intervals: INTERVALS,
      generator: () => [`stats.timers.${pick(APPS)}.${pick(FEATURES)}.mean`, Math.random() * 500],
    },
    gauges: {
      type: "gauge",
      host: sqlite("gauges.db"),
      match: ["^stats\\.gauges\\.", "^stats\\.sets\\..*\\.count$"],
      intervals: INTERVALS,
      generator: () => [`stats.gauges.${pick(APPS)}.${pick(FEATURES)}`, Math.floor(Math.random() * 100)],
    },
  },
  AGGREGATES: [
    // Every feature's count also counts for its app.
    ["stats_counts.<app>", "stats_counts.<app>.*"],
    // Each timer summary (mean, upper_90, ...) rolls up across an app's features.
    ["stats.timers.<app>.<stat>", "stats.timers.<app>.*.<stat>"],
    // The latest reading of any of an app's gauges.
    ["stats.gauges.<app>", "stats.gauges.<app>.*"],
  ],
  DEBUG: 0,
});
