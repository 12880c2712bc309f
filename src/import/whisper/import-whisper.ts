import { readFile } from "node:fs/promises";
import type { Runtime, RuntimeSchema } from "../../runtime/runtime.js";
import { ErrorCodes, TorusError, WriteBatch, long_or_float, quote, type Interval } from "../../timeseries/index.js";
import { BatchPart } from "../../timeseries/batch-part.js";
import { memberKey, toWritten, type WriteFunc } from "../../timeseries/values.js";
import { planPoints } from "./archive-plan.js";
import { WhisperFormatError, type WhisperHeader } from "./whisper-format.js";
import { findWhisperFiles, type WhisperSource } from "./whisper-names.js";
import { lastUpdate, readWhisperHeader } from "./whisper-reader.js";

/** Types a second import leaves as the first did (see `stageFile`); histogram and series would add again. */
export const IMPORTABLE_TYPES = ["gauge", "count", "set"] as const;

export interface ImportWhisperOptions {
  /** Files or directories (walked for `*.wsp`). */
  paths: readonly string[];
  schema: string;
  /** Only this interval of the schema; default every interval. */
  interval?: string | null;
  /** Names relative to this directory instead of each directory given. */
  root?: string | null;
  /** Unix seconds: only points at or after / at or before these. */
  start?: number | null;
  end?: number | null;
  /** Files read at once. Default 4. */
  concurrency?: number;
  dryRun?: boolean;
  /** Rows staged before a write to the store. Default 500,000: fewer, larger transactions rewrite fewer pages (SQLite measured). */
  batchRows?: number;
  onPlan?: (files: number) => void;
  onFile?: (report: FileReport) => void;
  clock?: () => number;
}

export interface FileReport {
  path: string;
  name: string;
  /** Points written (a point written into two intervals counts twice). */
  points: number;
  /** Points left out: outside --start/--end, past an interval's retention, or a value the schema refuses. */
  skipped: number;
  /** The schema's `match` does not find the file's name: left alone. */
  unmatched?: boolean;
  /** Why the file was skipped, if it was. */
  error?: string;
  header?: WhisperHeader;
}

export interface ImportSummary {
  files: number;
  /** Files whose names the schema does not match, left alone (import them into their own schema). */
  unmatched: number;
  points: number;
  skipped: number;
  errors: Array<{ path: string; error: string }>;
  /** Intervals no file had an archive for (their step is divided by no archive's). */
  intervalsWithoutArchive: string[];
  seconds: number;
  dryRun: boolean;
}

function schemaOf(runtime: Runtime, name: string): RuntimeSchema {
  const s = runtime.schema(name);
  if (!s) throw new TorusError(ErrorCodes.BAD_OPTION, `--schema: unknown schema ${quote(name)} (have ${runtime.schemas.map((x) => x.compiled.name).join(", ") || "none"})`, { field: "--schema", value: name });
  const type = s.series.type.name;
  if (!(IMPORTABLE_TYPES as readonly string[]).includes(type)) {
    throw new TorusError(
      ErrorCodes.BAD_TYPE,
      `--schema: schema ${quote(name)} stores ${type}, which adds on every write, so importing a file twice would count it twice; import whisper files into a ${IMPORTABLE_TYPES.join(", ")} schema`,
      { field: "--schema", value: name },
    );
  }
  return s;
}

function describeSeconds(s: number): string {
  return s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s}s`;
}

/**
 * Import whisper files into one schema (SPEC §13): every archive whose step
 * divides an interval's finest bucket is written into it, the finest archive
 * winning where archives overlap (see `planPoints`). A file that cannot be
 * read is reported in the summary and skipped; a store that fails ends the import.
 */
export async function importWhisper(runtime: Runtime, options: ImportWhisperOptions): Promise<ImportSummary> {
  const started = process.hrtime.bigint();
  const schema = schemaOf(runtime, options.schema);
  const series = schema.series;
  const targets: Array<{ iv: Interval; index: number }> = [];
  if (options.interval !== undefined && options.interval !== null) {
    const iv = series.intervals.find((i) => i.name === options.interval);
    if (!iv) {
      throw new TorusError(
        ErrorCodes.UNKNOWN_INTERVAL,
        `--interval: schema ${quote(options.schema)} has no interval ${quote(options.interval)} (its intervals: ${series.intervals.map((i) => i.name).join(", ")})`,
        { field: "--interval", value: options.interval },
      );
    }
    targets.push({ iv, index: series.intervals.indexOf(iv) });
  } else {
    series.intervals.forEach((iv, index) => targets.push({ iv, index }));
  }
  const now = (options.clock ?? (() => Math.floor(Date.now() / 1000)))();
  const liveFrom = targets.map(({ iv }) => (iv.steps === null ? -Infinity : iv.step.start(iv.firstLiveIndex(now))));
  const start = options.start ?? -Infinity;
  const end = options.end ?? Infinity;
  const writeFunc: WriteFunc = schema.compiled.options.write_func ?? long_or_float;
  const type = series.type;
  const isCount = type.name === "count";
  const isHistogram = type.name === "histogram";
  const named = options.interval !== undefined && options.interval !== null;
  const batchRows = Math.max(1, options.batchRows ?? 500_000);

  const sources = await findWhisperFiles(options.paths, options.root ?? undefined);
  options.onPlan?.(sources.length);
  const summary: ImportSummary = { files: 0, unmatched: 0, points: 0, skipped: 0, errors: [], intervalsWithoutArchive: [], seconds: 0, dryRun: Boolean(options.dryRun) };
  const served = targets.map(() => false);
  const seen = new Map<string, string>();

  let batch = new WriteBatch();
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.empty || batch.size === 0) return;
    const full = batch;
    batch = new WriteBatch();
    // One write at a time per store, while the next batch fills.
    await writing;
    writing = schema.store.write(full);
    // Awaited by the next flush or at the end; until then a failure must not count as unhandled.
    writing.catch(() => {});
  };

  /** A count's bucket becomes the whisper total: write what the store lacks, so a second import adds nothing. */
  const countDifference = async (name: string, iv: Interval, cells: BatchPart, index: number, skip: Set<number>) => {
    let first = Infinity;
    let last = -Infinity;
    const bySub = new Map<number, number>();
    for (let c = cells.head(0, index); c !== -1; c = cells.cellNext[c]) {
      const b = iv.bucketOf(cells.cellSub[c]);
      bySub.set(cells.cellSub[c], c);
      if (b < first) first = b;
      if (b > last) last = b;
    }
    const [rows] = await schema.store.read(series.ns, [name], iv.name, first, last);
    for (const row of rows) {
      const c = bySub.get(row[1]);
      if (c === undefined) continue;
      const diff = cells.cellNum[c] - Number(row[2]);
      if (diff === 0) skip.add(c);
      else cells.cellNum[c] = diff;
    }
  };

  /** One whisper point into the file's own cells, merged as a batch merges it; throws for a value the type refuses. */
  const stagePoint = (cells: BatchPart, index: number, sub: number, value: unknown, t: number) => {
    const written = toWritten(writeFunc, value);
    if (!isCount) return cells.add(0, index, sub, memberKey(written), isHistogram ? 1 : t);
    const n = typeof written === "number" ? written : Number(written);
    const c = cells.find(0, index, sub);
    if (!Number.isFinite(n) || (c !== -1 && !Number.isFinite(cells.cellNum[c] + n))) {
      throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} is not a finite number, or would make its bucket's total overflow`, { field: "value", value });
    }
    return cells.add(0, index, sub, n, 0);
  };

  const importOne = async (src: WhisperSource) => {
    const report: FileReport = { path: src.path, name: src.name, points: 0, skipped: 0 };
    if (!schema.compiled.matches(src.name)) {
      report.unmatched = true;
      summary.unmatched++;
      options.onFile?.(report);
      return;
    }
    try {
      const earlier = seen.get(src.name);
      if (earlier !== undefined) throw new WhisperFormatError(`name ${quote(src.name)} was already imported from ${earlier}`);
      seen.set(src.name, src.path);
      const buf = await readFile(src.path);
      const header = readWhisperHeader(buf);
      report.header = header;
      const until = lastUpdate(buf, header);
      // The file's points merge here first: a count is then reduced to what the store lacks.
      const cells = new BatchPart(series.ns, series.intervals);
      cells.slot(src.name);
      const skip = new Set<number>();
      for (let k = 0; k < targets.length; k++) {
        const { iv, index } = targets[k];
        const sub = iv.resolution ?? iv.step;
        const plan = planPoints(buf, header, until, sub);
        if (!plan) {
          if (named) {
            throw new WhisperFormatError(
              `no archive's step (${header.archives.map((a) => describeSeconds(a.secondsPerPoint)).join(", ")}) divides interval ${quote(iv.name)}'s ${sub.gregorian ? String(sub.spec) : describeSeconds(sub.seconds)} buckets`,
            );
          }
          continue;
        }
        served[k] = true;
        const { times, values } = plan;
        const live = liveFrom[k];
        for (let p = 0; p < times.length; p++) {
          const t = times[p];
          if (t < start || t > end || t < live) {
            report.skipped++;
            continue;
          }
          try {
            // write_func may refuse a value, a count may overflow its bucket: that point is skipped, not the file.
            stagePoint(cells, index, iv.subOf(t), values[p], t);
            report.points++;
          } catch {
            report.skipped++;
          }
        }
        if (cells.head(0, index) === -1) continue;
        if (isCount && !options.dryRun) await countDifference(src.name, iv, cells, index, skip);
      }
      if (cells.cellCount > skip.size && !options.dryRun) {
        const part = batch.part(series, series.ns, series.intervals);
        const slot = part.slot(src.name);
        for (let c = 0; c < cells.cellCount; c++) if (!skip.has(c)) batch.size += cells.copyCell(c, part, slot);
        batch.points += report.points;
      }
      summary.files++;
      summary.points += report.points;
      summary.skipped += report.skipped;
    } catch (err) {
      if (err instanceof TorusError && err.code === ErrorCodes.STORE) throw err; // a count's read of the store
      const e = err as NodeJS.ErrnoException;
      report.error = e instanceof WhisperFormatError ? e.message : e.code ? `cannot read: ${e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.code === "EISDIR" ? "is a directory" : e.message}` : String(e?.message ?? e);
      summary.errors.push({ path: src.path, error: report.error });
    }
    options.onFile?.(report);
    // Outside the file's try: a store that fails ends the import, it is not the file's fault.
    if (batch.size >= batchRows) await flush();
  };

  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, options.concurrency ?? 4), sources.length) }, async () => {
    while (next < sources.length) await importOne(sources[next++]);
  });
  await Promise.all(workers);
  await flush();
  await writing;
  summary.intervalsWithoutArchive = sources.length > summary.errors.length ? targets.filter((_, k) => !served[k]).map((t) => t.iv.name) : [];
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}
