/**
 * Test data for the point sources: one schema per type on a real store,
 * points written through the schema, and the expected points computed from
 * the raw points alone (never from what a source returned).
 */
import { compileConfig } from "../../../config/index.js";
import { buildRuntime, type Runtime, type RuntimeSchema } from "../../../runtime/runtime.js";
import { StoreRegistry, TYPE_NAMES, type TypeName } from "../../../timeseries/index.js";
import { storeAvailable, TEST_REDIS_URL } from "../../../timeseries/testing/redis-test-cluster.js";
import { openPostgresStore } from "../../../timeseries/backends/postgres/postgres-store.js";

/** A raw point as written: name, Unix time, value. */
export type RawPoint = [name: string, t: number, value: number];

export interface StoreUnderTest {
  label: string;
  url: string;
  available: boolean;
}

const PG_URL = process.env.TORUS_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

async function postgresAvailable(): Promise<boolean> {
  try {
    const s = await openPostgresStore(PG_URL);
    await s.close();
    return true;
  } catch {
    return false;
  }
}

/** SQLite always; Redis and PostgreSQL when reachable. */
export async function storesUnderTest(): Promise<StoreUnderTest[]> {
  return [
    { label: "sqlite", url: "sqlite:///:memory:", available: true },
    { label: "redis", url: TEST_REDIS_URL, available: await storeAvailable(TEST_REDIS_URL) },
    { label: "postgres", url: PG_URL, available: await postgresAvailable() },
  ];
}

/** `minute`: plain minute buckets; `hour`: hour buckets with minute sub-buckets. No retention, so old points stay. */
export const INTERVALS = { minute: { step: 60 }, hour: { step: "1h", resolution: 60 } } as const;

/** Configuration exports: one schema per type (`<type>s`, matching `<type>.`) under prefixes unique to this run. */
export function pointExports(url: string, tag: string, intervals: Record<string, unknown> = INTERVALS): Record<string, unknown> {
  const run = `gw${tag}${process.pid}${Date.now().toString(36)}`;
  return { SCHEMAS: Object.fromEntries(TYPE_NAMES.map((type) => [`${type}s`, { type, match: `^${type}\\.`, prefix: `${run}${type}`, host: url, intervals }])) };
}

/** The runtime of `pointExports`, on its own store clients. */
export async function pointRuntime(url: string, tag: string, intervals: Record<string, unknown> = INTERVALS): Promise<Runtime> {
  return buildRuntime(compileConfig(pointExports(url, tag, intervals)), new StoreRegistry());
}

export function schemaOf(runtime: Runtime, type: TypeName): RuntimeSchema {
  return runtime.schema(`${type}s`)!;
}

/** Write raw points through the schema (one bulk insert per call), as karbon's batches would. */
export async function writePoints(schema: RuntimeSchema, points: readonly RawPoint[]): Promise<void> {
  const byTs: Record<number, Record<string, number[]>> = {};
  for (const [name, t, v] of points) ((byTs[t] ??= {})[name] ??= []).push(v);
  await schema.series.bulk_insert(byTs);
}

/**
 * The expected point per `pointStep` slot, from raw points alone:
 * count the sum, gauge the value of the newest timestamp (a later write of
 * the same timestamp wins), histogram and series the mean of every value
 * written, set the mean of the distinct values. NaN where nothing was written.
 */
export function expectedPoints(type: TypeName, points: readonly RawPoint[], name: string, start: number, pointStep: number, length: number): number[] {
  const slots: Array<Array<[number, number]>> = Array.from({ length }, () => []);
  for (const [n, t, v] of points) {
    if (n !== name) continue;
    const i = Math.floor((t - start) / pointStep);
    if (i >= 0 && i < length) slots[i].push([t, v]);
  }
  return slots.map((slot) => {
    if (slot.length === 0) return Number.NaN;
    const values = slot.map(([, v]) => v);
    switch (type) {
      case "count":
        return values.reduce((a, b) => a + b, 0);
      case "gauge": {
        let best = slot[0];
        for (const p of slot) if (p[0] >= best[0]) best = p;
        return best[1];
      }
      case "histogram":
      case "series":
        return values.reduce((a, b) => a + b, 0) / values.length;
      case "set": {
        const distinct = [...new Set(values)];
        return distinct.reduce((a, b) => a + b, 0) / distinct.length;
      }
    }
  });
}

/** Deterministic points: values in quarters (sums stay exact), some repeated, gaps in time. */
export function samplePoints(names: readonly string[], from: number, count: number, seed = 1): RawPoint[] {
  const out: RawPoint[] = [];
  let x = seed;
  const next = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648);
  for (let j = 0; j < count; j++) {
    const name = names[next() % names.length];
    const t = from + (next() % (count * 17));
    out.push([name, t, ((next() % 41) - 10) / 4]);
  }
  return out;
}

export async function dropAll(runtime: Runtime): Promise<void> {
  for (const s of runtime.schemas) await s.series.delete_all();
  const stores = new Set(runtime.schemas.map((s) => s.store));
  for (const store of stores) await store.close();
}
