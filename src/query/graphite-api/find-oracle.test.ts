/**
 * The find endpoints side by side with graphite-web: every case captured by
 * test/graphite-oracle/find-oracle.py (graphite-web 1.1.10's views over
 * whisper files of the same names) is replayed against torus over the same
 * names in SQLite.
 *
 * graphite-web shuffles paths before its (stable) sort by name, so a case
 * whose names repeat can have several answers; the fixture keeps every one
 * seen under 30 seeds. Ours must be one of them, or — for completer and json,
 * whose entries of one name come in any order — the same entries in an order
 * the shuffle could give (sorted by name for completer, by path for json).
 * Errors: graphite-web answers 400 text, torus 400 JSON; the status is compared.
 * `format=json`'s whisper intervals are left out (the fixture drops them).
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { buildRuntime, type Runtime } from "../../runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../../timeseries/index.js";
import { buildQueryApp } from "../query-app.js";
import { StoreNameSource } from "./store-name-source.js";

interface Answer {
  status: number;
  body: unknown;
}
interface Case {
  endpoint: string;
  method: "GET" | "POST";
  params: Record<string, string | string[]>;
  answers: Answer[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/graphite-web-find.json", import.meta.url), "utf8")) as { names: string[]; cases: Case[] };

const NOW = 1_800_000_000;
let app: FastifyInstance;
let runtime: Runtime;
let names: StoreNameSource;

beforeAll(async () => {
  runtime = await buildRuntime(compileConfig({ SCHEMAS: { all: { type: "count", match: ".", intervals: { minute: { step: 60, steps: 60 } } } } }), new StoreRegistry());
  const series = runtime.schemas[0].series;
  const batch = new WriteBatch();
  for (const name of fixture.names) series.stage(batch, name, 1, NOW, 0, NOW);
  await series.store.write(batch);
  names = new StoreNameSource({ runtime: () => runtime, checkMs: 50 });
  app = buildQueryApp({ runtime: () => runtime, clock: () => NOW, graphite: { names } });
  await names.ready();
});

afterAll(async () => {
  await app.close();
  await names.close();
  for (const s of runtime.schemas) await s.store.close();
});

/** The form graphite-web was given, as a query string or body (a list is the parameter repeated). */
function form(params: Record<string, string | string[]>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  return out.toString();
}

function stripIntervals(body: unknown): unknown {
  if (!Array.isArray(body)) return body;
  return body.map((e) => {
    if (e === null || typeof e !== "object") return e;
    const { intervals: _, ...rest } = e as Record<string, unknown>;
    return rest;
  });
}

const key = (e: unknown) => JSON.stringify(e, Object.keys(e as object).sort());

/** The same entries, and ours in an order graphite-web's stable sort (by `field`) allows. */
function sameUpToShuffle(ours: unknown[], theirs: unknown[], field: "name" | "path"): boolean {
  if (ours.length !== theirs.length) return false;
  const a = ours.map(key).sort();
  const b = theirs.map(key).sort();
  if (a.some((v, i) => v !== b[i])) return false;
  const sorted = ours.filter((e) => (e as { name?: string }).name !== "*").map((e) => (e as Record<string, string>)[field]);
  return sorted.every((v, i) => i === 0 || sorted[i - 1] <= v);
}

describe("find endpoints against graphite-web's answers", () => {
  it.each(fixture.cases.map((c) => [`${c.method} ${c.endpoint}?${form(c.params)}`, c] as const))("%s", async (_label, c) => {
    const res = c.method === "GET" ? await app.inject({ method: "GET", url: `${c.endpoint}?${form(c.params)}` }) : await app.inject({ method: "POST", url: c.endpoint, payload: form(c.params), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(c.answers.map((a) => a.status)).toContain(res.statusCode);
    if (res.statusCode !== 200) return;
    const body = stripIntervals(JSON.parse(res.body));
    if (c.answers.some((a) => isDeepEqual(a.body, body))) return;
    const theirs = c.answers[0].body;
    const format = (c.params.format as string | undefined) ?? "treejson";
    if (format === "completer") {
      expect(sameUpToShuffle((body as { metrics: unknown[] }).metrics, (theirs as { metrics: unknown[] }).metrics, "name"), JSON.stringify(body)).toBe(true);
    } else if (format === "json") {
      expect(sameUpToShuffle(body as unknown[], theirs as unknown[], "path"), JSON.stringify(body)).toBe(true);
    } else {
      expect(body).toEqual(theirs);
    }
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(b).toEqual(a);
    return true;
  } catch {
    return false;
  }
}
