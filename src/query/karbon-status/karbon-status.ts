import { parsePrometheusText, type Sample } from "./prometheus-text.js";
import type { KarbonStatus } from "./karbon-status-shape.js";

export type { KarbonStatus };

/** Where karbon's self-metrics are read: its objects in this process, or its `--metrics` port. */
export interface KarbonStatusSource {
  /** "in-process" or the metrics URL. */
  readonly name: string;
  /** Prometheus text, as karbon's `/metrics` serves it. */
  metrics(): Promise<string>;
  deadLetters(): Promise<{ total: number; names: ReadonlyMap<string, number> | Record<string, number> }>;
}

/** How many dead-letter names the status carries. */
export const TOP_DEAD_LETTERS = 10;

const sum = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);

function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && s.labels[label] !== undefined) out[s.labels[label]] = (out[s.labels[label]] ?? 0) + s.value;
  return out;
}

function flushes(samples: Sample[]): Extract<KarbonStatus, { available: true }>["flush"] {
  const count = byLabel(samples, "karbon_flush_seconds_count", "store");
  const total = byLabel(samples, "karbon_flush_seconds_sum", "store");
  const failures = byLabel(samples, "karbon_flush_failures_total", "store");
  const out: Extract<KarbonStatus, { available: true }>["flush"] = {};
  for (const store of new Set([...Object.keys(count), ...Object.keys(failures)])) {
    const n = count[store] ?? 0;
    const buckets = samples
      .filter((s) => s.name === "karbon_flush_seconds_bucket" && s.labels.store === store)
      .map((s) => ({ le: s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), n: s.value }))
      .sort((a, b) => a.le - b.le);
    const bound = n > 0 ? buckets.find((b) => b.n >= 0.99 * n)?.le : undefined;
    out[store] = {
      count: n,
      meanMs: n > 0 ? (1000 * (total[store] ?? 0)) / n : null,
      p99Ms: bound === undefined || !Number.isFinite(bound) ? null : 1000 * bound,
      failures: failures[store] ?? 0,
    };
  }
  return out;
}

/** The status from one reading of karbon's metrics and dead letters; `perSecond` is the caller's (it needs two readings). */
export function statusOf(source: string, at: number, text: string, dead: { total: number; names: ReadonlyMap<string, number> | Record<string, number> }): Extract<KarbonStatus, { available: true }> {
  const samples = parsePrometheusText(text);
  const byReason = byLabel(samples, "karbon_bad_lines_total", "reason");
  const names = dead.names instanceof Map ? [...dead.names] : Object.entries(dead.names);
  return {
    available: true,
    source,
    at,
    points: { total: sum(samples, "karbon_points_received_total"), perSecond: null },
    badLines: { total: Object.values(byReason).reduce((a, b) => a + b, 0), byReason },
    buffer: byLabel(samples, "karbon_buffer_rows", "store"),
    flush: flushes(samples),
    deadLetters: {
      total: dead.total,
      top: names
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, TOP_DEAD_LETTERS)
        .map(([name, count]) => ({ name, count })),
    },
  };
}

/**
 * Points per second between readings: the rate over the last minute of
 * readings (at least one second apart), so a page polling every few
 * seconds sees a steady figure; null until there are two.
 */
export class PointRate {
  private readings: Array<{ at: number; total: number }> = [];

  constructor(private readonly windowMs = 60_000) {}

  add(atMs: number, total: number): number | null {
    // A restarted karbon counts from zero again: start over.
    const last = this.readings[this.readings.length - 1];
    if (last && total < last.total) this.readings = [];
    this.readings.push({ at: atMs, total });
    while (this.readings.length > 2 && atMs - this.readings[1].at >= this.windowMs) this.readings.shift();
    const first = this.readings[0];
    if (atMs - first.at < 1000) return null;
    return ((total - first.total) * 1000) / (atMs - first.at);
  }
}
