import type { Logger } from "../../logging/logger.js";

const noop = () => {};

/**
 * The seed's ingest vocabulary. Levels a configuration leaves off are
 * plain no-ops, decided once per (re)load, not an `if` per point.
 * DEBUG 1: STOR, AGRT, DONE. DEBUG 2: also RECV and SKIP.
 */
export interface IngestLog {
  recv(stat: string, value: string, timestamp: number): void;
  skip(reason: string, detail: string): void;
  stor(schema: string, stat: string, value: unknown): void;
  agrt(rule: string, stat: string, value: unknown): void;
  done(points: number, seconds: number, store: string): void;
}

export function createIngestLog(logger: Logger, debug: 0 | 1 | 2): IngestLog {
  const d1 = debug >= 1;
  const d2 = debug >= 2;
  return {
    recv: d2 ? (stat, value, timestamp) => logger.trace({ stat, value, timestamp }, "RECV") : noop,
    skip: d2 ? (reason, detail) => logger.trace({ reason, detail }, "SKIP") : noop,
    stor: d1 ? (schema, stat, value) => logger.debug({ schema, stat, value }, "STOR") : noop,
    agrt: d1 ? (rule, stat, value) => logger.debug({ rule, stat, value }, "AGRT") : noop,
    done: d1
      ? (points, seconds, store) => logger.debug({ points, seconds: Number(seconds.toFixed(4)), rate: Math.round(points / Math.max(seconds, 1e-6)), store }, "DONE")
      : noop,
  };
}
