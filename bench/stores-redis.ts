/**
 * Redis and Redis Cluster store benchmark: write throughput (bucket merges
 * per second, flushed in batches of 10,000 distinct buckets) and read
 * latency (one stat × 1,440 buckets; 100 stats × 60 buckets).
 *
 *   npx tsx bench/stores-redis.ts [--runs 3] [--total 200000] [--no-cluster]
 *
 * Redis: `TORUS_TEST_REDIS_URL` (default redis://127.0.0.1:6379/1); every
 * key written is deleted again. The clusters (3 masters + 3 replicas, then
 * 3 masters alone) are started on free loopback ports and stopped after.
 */
import { RedisStore } from "../src/timeseries/backends/redis/redis-store.js";
import { TEST_REDIS_URL, startCluster, type TestCluster } from "../src/timeseries/testing/redis-test-cluster.js";
import { Timeseries } from "../src/timeseries/index.js";
import { BATCH, WRITE_SHAPES, median, percentile, printTable, sampleReads, seedReadData, writeRun } from "./bench-util.js";

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const runs = Number(arg("--runs")) || 3;
const TOTAL = Number(arg("--total")) || 200_000;

const NOW = Math.floor(Date.now() / 1000 / 86_400) * 86_400 + 43_200;
// A week of minutes: TTLs are set (the realistic path) and every bucket written stays live.
const INTERVALS = { minute: { step: 60, steps: 7 * 1440 } };

function counts(store: RedisStore, prefix: string): Timeseries {
  return new Timeseries(store, { type: "count", prefix, intervals: INTERVALS, clock: () => NOW });
}

async function bench(label: string, url: string, rows: Array<Array<string | number>>): Promise<void> {
  const store = await RedisStore.open(url);
  const used: Timeseries[] = [];
  try {
    for (const [shape, names, again] of WRITE_SHAPES) {
      const rates: number[] = [];
      for (let r = 0; r < runs; r++) {
        const ts = counts(store, `bench_w${names}_${r}_${Date.now()}`);
        used.push(ts);
        const start = NOW - 2_000 * 60;
        const first = await writeRun(ts, store, TOTAL, names, start);
        rates.push(again ? await writeRun(ts, store, TOTAL, names, start) : first);
        await ts.delete_all();
      }
      rows.push([`${label}: write ${shape} (merges/s)`, Math.round(median(rates)), Math.round(Math.min(...rates)), Math.round(Math.max(...rates)), "≥ 300,000"]);
    }

    const ts = counts(store, `bench_r_${Date.now()}`);
    used.push(ts);
    const names = await seedReadData(ts, store, NOW);
    const { single, avg, hundred } = await sampleReads(ts, names);
    const ms = (v: number[]) => [median(v), percentile(v, 5), percentile(v, 95)];
    rows.push([`${label}: series 1 stat × 1,440 buckets (ms)`, ...ms(single), "≤ 5 ms median"]);
    rows.push([`${label}: series 1 stat × 1,440, mean (ms)`, ...ms(avg), ""]);
    rows.push([`${label}: 100 stats × 60 buckets (ms)`, ...ms(hundred), ""]);
  } finally {
    for (const ts of used) await ts.delete_all().catch(() => {});
    await store.close();
  }
}

const rows: Array<Array<string | number>> = [];
await bench("redis", TEST_REDIS_URL, rows);
if (!process.argv.includes("--no-cluster")) {
  // With and without replicas: replicas replay every write, which on a small machine competes for the same cores.
  for (const [label, replicas] of [["cluster 3+3", 1], ["cluster 3", 0]] as const) {
    let cluster: TestCluster | undefined;
    try {
      cluster = await startCluster({ replicas });
      await bench(label, cluster.url, rows);
    } finally {
      await cluster?.stop();
    }
  }
}
console.log(`\nRedis stores, ${runs} runs of ${TOTAL.toLocaleString("en-US")} merges per shape, flushes of ${BATCH.toLocaleString("en-US")} buckets\n`);
printTable(["benchmark", "median", "min / p5", "max / p95", "target"], rows);
