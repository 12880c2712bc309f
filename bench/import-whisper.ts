/**
 * `torus import-whisper` throughput: N whisper files × 1 archive × 1,440
 * minute points (a day, every slot written) into a SQLite schema, timed
 * from the first file read to the last row committed. The files are made by
 * the importer's own TS writer (whisper-create would take minutes for 10,000).
 *
 *   npx tsx bench/import-whisper.ts [--files 10000] [--runs 3] [--type gauge|count] [--concurrency 4]
 *
 * `WRITE_TIME=1` also prints the part spent in `Store.write`; `BATCH_ROWS=N`
 * overrides the importer's rows per transaction.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileConfig } from "../src/config/index.js";
import { importWhisper } from "../src/import/whisper/import-whisper.js";
import { readWhisperHeader } from "../src/import/whisper/whisper-reader.js";
import { createWhisperBuffer, writeWhisperPoint } from "../src/import/whisper/whisper-writer.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";
import { median, printTable } from "./bench-util.js";

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const files = Number(arg("--files", "10000"));
const runs = Number(arg("--runs", "3"));
const type = arg("--type", "gauge");
const concurrency = Number(arg("--concurrency", "4"));
const POINTS = 1440;

const dir = mkdtempSync(join(tmpdir(), "torus-bench-whisper-"));
const tree = join(dir, "whisper");
const NOW = Math.floor(Date.now() / 1000);

const t0 = Date.now();
{
  // One buffer, rewritten per file: the values differ, the layout does not.
  const buf = createWhisperBuffer([{ secondsPerPoint: 60, points: POINTS }], type === "count" ? "sum" : "average", 0);
  const header = readWhisperHeader(buf);
  const end = NOW - (NOW % 60);
  for (let f = 0; f < files; f++) {
    for (let i = 0; i < POINTS; i++) writeWhisperPoint(buf, header, 0, end - (POINTS - 1 - i) * 60, (f * 31 + i) % 1000);
    const sub = join(tree, `host${Math.floor(f / 100)}`);
    if (f % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `metric${f % 100}.wsp`), buf);
  }
}
const generated = (Date.now() - t0) / 1000;

const rows: Array<Array<string | number>> = [];
const rates: number[] = [];
for (let r = 0; r < runs; r++) {
  const registry = new StoreRegistry();
  const config = compileConfig({
    SCHEMAS: { imported: { type, host: `sqlite:///${join(dir, `run${r}.db`)}`, match: ".", intervals: { minute: { step: 60, steps: 2 * POINTS } } } },
  });
  const runtime = await buildRuntime(config, registry);
  let writeMs = 0;
  if (process.env.WRITE_TIME) {
    const store = runtime.schema("imported")!.store;
    const write = store.write.bind(store);
    store.write = async (b) => { const t = performance.now(); await write(b); writeMs += performance.now() - t; };
  }
  const summary = await importWhisper(runtime, { paths: [tree], schema: "imported", concurrency, ...(process.env.BATCH_ROWS ? { batchRows: Number(process.env.BATCH_ROWS) } : {}) });
  await registry.closeAll();
  rmSync(join(dir, `run${r}.db`), { force: true });
  if (summary.errors.length > 0 || summary.points !== files * POINTS) throw new Error(`run ${r}: ${summary.points} points, ${summary.errors.length} errors`);
  const rate = summary.points / summary.seconds;
  if (process.env.WRITE_TIME) console.log(`store.write: ${(writeMs / 1000).toFixed(2)} s of ${summary.seconds.toFixed(2)}`);
  rates.push(rate);
  rows.push([`run ${r + 1}`, summary.files, summary.points, summary.seconds.toFixed(2), Math.round(rate)]);
}
rows.push(["median", files, files * POINTS, "", Math.round(median(rates))]);
console.log(`${files} files × 1 archive × ${POINTS} points into a SQLite ${type} schema (files generated in ${generated.toFixed(1)} s; concurrency ${concurrency})\n`);
printTable(["", "files", "points", "seconds", "points/s"], rows);
console.log(`\npeak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB; target: ≥ 500,000 points/s`);
rmSync(dir, { recursive: true, force: true });
