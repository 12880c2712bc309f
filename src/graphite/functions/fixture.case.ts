/**
 * Reads the graphite-web fixture (src/graphite/functions/fixtures/graphite-web.json, produced by
 * test/graphite-oracle/generate.py from graphite-web's own render functions) and rebuilds its inputs,
 * including the fake fetch that serves generated series for the functions that re-fetch.
 */
import { readFileSync } from "node:fs";
import { createSeries, type ConsolidationFunc, type Series } from "../series.js";
import type { EvalContext } from "./registry.js";

export interface FixtureSeries {
  name: string;
  pathExpression: string;
  start: number;
  end: number;
  step: number;
  values: (number | string | null)[];
}

export type FixtureArg = number | string | boolean | null | { series: string } | { inf: true } | { call: string; args: FixtureArg[] };

export interface FixtureCase {
  fn: string;
  args: FixtureArg[];
  kwargs: Record<string, FixtureArg>;
  expected?: FixtureSeries[];
  error?: string;
}

export interface MdpCase {
  series: { start: number; end: number; step: number; values: (number | null)[]; consolidationFunc: ConsolidationFunc; xFilesFactor: number };
  maxDataPoints: number;
  datapoints: [number | null, number][];
}

export interface Fixture {
  graphiteWeb: string;
  range: { from: number; until: number; now: number };
  gen: { step: number; expressions: Record<string, string[]> };
  data: Record<string, FixtureSeries[]>;
  cases: FixtureCase[];
  maxDataPoints: MdpCase[];
}

export function loadFixture(): Fixture {
  return JSON.parse(readFileSync(new URL("./fixtures/graphite-web.json", import.meta.url), "utf8")) as Fixture;
}

export function decodeValue(v: number | string | null): number | null {
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v as number | null;
}

export function toSeries(f: FixtureSeries): Series {
  return createSeries({
    name: f.name,
    pathExpression: f.pathExpression,
    start: f.start,
    end: f.end,
    step: f.step,
    values: f.values.map(decodeValue),
  });
}

/** The generator of generate.py's `gen_value`/`gen_fetch` (whisper-like alignment of from/until). */
export function genFetch(fixture: Fixture, expr: string, from: number, until: number): Series[] {
  if (expr.startsWith("group(") && expr.endsWith(")")) {
    return expr.slice(6, -1).split(",").flatMap((part) => genFetch(fixture, part, from, until));
  }
  const step = fixture.gen.step;
  const names = fixture.gen.expressions[expr];
  if (!names) return [];
  return names.map((name) => {
    const k = name.split(".")[1].charCodeAt(0) - "a".charCodeAt(0);
    const start = from - (from % step) + step;
    const end = until - (until % step) + step;
    const values: (number | null)[] = [];
    for (let t = start; t < end; t += step) {
      const i = Math.floor(t / step);
      values.push((i + k) % 5 === 0 ? null : ((i + 3 * k) * 7) % 23);
    }
    return createSeries({ name, pathExpression: expr, start, end, step, values });
  });
}

export function fixtureContext(fixture: Fixture): EvalContext {
  return {
    from: fixture.range.from,
    until: fixture.range.until,
    now: fixture.range.now,
    xFilesFactor: 0,
    fetch: async (expr, from, until) => genFetch(fixture, expr, from, until),
  };
}
