import type { Runtime, RuntimeSchema } from "../runtime/runtime.js";
import { ErrorCodes, TorusError, WriteBatch, type Interval } from "../timeseries/index.js";

export interface MigrateOptions {
  source: string;
  destination: string;
  /** The source interval read; every destination interval receives it, bucketed by its own steps. */
  interval: string;
  /** Unix seconds: only buckets holding data on or after / on or before these. */
  start?: number | null;
  end?: number | null;
  /** Stats to copy; default every stat the source lists. */
  stats?: readonly string[];
  /** Only names this regular expression finds (unanchored, like schema `match`). */
  match?: RegExp | null;
  /** Stats copied at once. Default 10. */
  concurrency?: number;
  dryRun?: boolean;
  /** Source buckets read per store call. Default 1,000. */
  pageBuckets?: number;
  /** Called after each stat (progress bar, --verbose). */
  onStat?: (report: StatReport) => void;
  /** Called once the stat list is known. */
  onPlan?: (stats: number) => void;
  clock?: () => number;
}

export interface StatReport {
  stat: string;
  /** Source buckets that held data. */
  buckets: number;
  /** Source rows read (cells, histogram cells, members, series values). */
  rows: number;
}

export interface MigrateSummary {
  stats: number;
  buckets: number;
  rows: number;
  seconds: number;
  dryRun: boolean;
}

function schemaOf(runtime: Runtime, name: string, flag: string): RuntimeSchema {
  const s = runtime.schema(name);
  if (!s) throw new TorusError(ErrorCodes.BAD_OPTION, `${flag}: unknown schema ${JSON.stringify(name)} (have ${runtime.schemas.map((x) => x.compiled.name).join(", ") || "none"})`, { field: flag, value: name });
  return s;
}

/**
 * Copy one interval's buckets of a source schema into a destination schema
 * (SPEC §8), exactly: raw stored rows are read and merged into a write batch
 * built directly, so counts stay counts, histogram cells keep their counts,
 * sets and series keep their members, gauges keep value and timestamp.
 */
export async function migrate(runtime: Runtime, options: MigrateOptions): Promise<MigrateSummary> {
  const started = process.hrtime.bigint();
  const src = schemaOf(runtime, options.source, "--source");
  const dst = schemaOf(runtime, options.destination, "--destination");
  if (src === dst) throw new TorusError(ErrorCodes.BAD_OPTION, "--destination: must differ from --source", { field: "--destination", value: options.destination });
  if (src.series.type.name !== dst.series.type.name) {
    throw new TorusError(
      ErrorCodes.BAD_OPTION,
      `--destination: schema ${JSON.stringify(dst.compiled.name)} stores ${dst.series.type.name}, source ${JSON.stringify(src.compiled.name)} stores ${src.series.type.name}; an exact copy needs the same type`,
      { field: "--destination", value: options.destination },
    );
  }
  const iv = src.series.intervals.find((i) => i.name === options.interval);
  if (!iv) {
    throw new TorusError(
      ErrorCodes.UNKNOWN_INTERVAL,
      `--interval: schema ${JSON.stringify(src.compiled.name)} (--source) has no interval ${JSON.stringify(options.interval)} (its intervals: ${src.series.intervals.map((i) => i.name).join(", ")})`,
      { field: "--interval", value: options.interval },
    );
  }
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const page = Math.max(1, options.pageBuckets ?? 1000);
  const now = (options.clock ?? (() => Math.floor(Date.now() / 1000)))();
  const destIntervals = dst.series.intervals;
  const live = destIntervals.map((d) => d.firstLiveIndex(now));

  let stats = options.stats && options.stats.length > 0 ? [...options.stats] : await src.series.list();
  if (options.match) stats = stats.filter((s) => options.match!.test(s));
  options.onPlan?.(stats.length);

  const summary: MigrateSummary = { stats: 0, buckets: 0, rows: 0, seconds: 0, dryRun: Boolean(options.dryRun) };
  const copyOne = async (stat: string) => {
    const report: StatReport = { stat, buckets: 0, rows: 0 };
    const props = (await src.series.properties(stat))[iv.name];
    if (props) {
      let first = props.first;
      let last = props.last;
      if (options.start !== undefined && options.start !== null) first = Math.max(first, iv.bucketOf(options.start));
      if (options.end !== undefined && options.end !== null) last = Math.min(last, iv.bucketOf(options.end));
      for (let i = iv.step.index(first), lastIndex = iv.step.index(last); i <= lastIndex; i += page) {
        const from = iv.step.start(i);
        const to = iv.step.start(Math.min(lastIndex, i + page - 1));
        const [rows] = await src.store.read(src.series.ns, [stat], iv.name, from, to);
        if (rows.length === 0) continue;
        const batch = new WriteBatch();
        const part = batch.part(dst.series, dst.series.ns, destIntervals);
        const slot = part.slot(stat);
        let lastBucket = Number.NaN;
        for (const row of rows) {
          if (row[0] !== lastBucket) {
            report.buckets++;
            lastBucket = row[0];
          }
          report.rows++;
          // A sub-bucket's start is the time its data belongs to; each destination interval buckets it its own way.
          for (let d = 0; d < destIntervals.length; d++) {
            const div: Interval = destIntervals[d];
            if (div.step.index(row[1]) < live[d]) continue;
            // The same merges the stores do, on the stored form: a histogram cell of 7 arrives as 7, not as seven re-inserted points.
            batch.size += part.add(slot, d, div.subOf(row[1]), row[2], row[3] ?? 0);
          }
        }
        batch.points += rows.length;
        if (!options.dryRun && batch.size > 0) await dst.store.write(batch);
      }
    }
    summary.stats++;
    summary.buckets += report.buckets;
    summary.rows += report.rows;
    options.onStat?.(report);
  };

  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, stats.length) }, async () => {
    while (next < stats.length) await copyOne(stats[next++]);
  });
  await Promise.all(workers);
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}
