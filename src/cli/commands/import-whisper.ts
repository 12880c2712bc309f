import { Command } from "commander";
import cliProgress from "cli-progress";
import { loadConfig } from "../../config/index.js";
import { collect, UsageError } from "../run-cli.js";
import { flagTime, positiveInt } from "./flag-values.js";
import { createLogger } from "../../logging/logger.js";
import { RuntimeHost } from "../../server/runtime-host.js";
import { importWhisper, type FileReport } from "../../import/whisper/import-whisper.js";

interface ImportWhisperFlags {
  config: string[];
  schema: string;
  interval?: string;
  root?: string;
  start?: string;
  end?: string;
  concurrency: number;
  dryRun?: boolean;
  verbose?: boolean;
}

/** `torus import-whisper`: Graphite's whisper history into a schema. */
export function importWhisperCommand(): Command {
  return new Command("import-whisper")
    .description("Import whisper (.wsp) files, named by their path, into a schema")
    .argument("<path...>", "whisper files, or directories to walk for *.wsp")
    .option("--config <file>", "configuration file to load; repeat for several", collect, [])
    .requiredOption("--schema <schema>", "the schema to write into (gauge, count or set)")
    .option("--interval <name>", "only this interval of the schema (default: every interval an archive's step divides)")
    .option("--root <dir>", "name files by their path relative to this directory (default: each directory given)")
    .option("--start <time>", "only points at or after this time (same formats as the web parameter)")
    .option("--end <time>", "only points at or before this time (same formats as the web parameter)")
    .option("--concurrency <n>", "files read at once", positiveInt, 4)
    .option("--dry-run", "read and report, but write nothing")
    .option("--verbose", "print a line per file")
    .action(async (paths: string[], flags: ImportWhisperFlags) => {
      if (flags.config.length === 0) throw new UsageError("--config: at least one configuration file is required");
      const config = await loadConfig(flags.config);
      const time = { now: Math.floor(Date.now() / 1000), timezone: config.timezone };
      const start = flags.start === undefined ? null : flagTime(flags.start, "--start", time);
      const end = flags.end === undefined ? null : flagTime(flags.end, "--end", time);
      const host = new RuntimeHost({ configFiles: flags.config, config, logger: createLogger("import-whisper", config.debug), role: "tool", hooks: false });
      try {
        const runtime = await host.load();
        const bar = process.stdout.isTTY && !flags.verbose
          ? new cliProgress.SingleBar({ format: "importing {bar} {value}/{total} files | {points} points | {errors} errors | eta {eta_formatted}" }, cliProgress.Presets.shades_classic)
          : null;
        let points = 0;
        let errors = 0;
        const summary = await importWhisper(runtime, {
          paths,
          schema: flags.schema,
          interval: flags.interval ?? null,
          root: flags.root ?? null,
          start,
          end,
          concurrency: flags.concurrency,
          dryRun: flags.dryRun,
          onPlan: (n) => bar?.start(n, 0, { points: 0, errors: 0 }),
          onFile: (r: FileReport) => {
            points += r.points;
            if (r.error !== undefined) {
              errors++;
              // Above the bar: each skipped file is named as it happens.
              if (bar) process.stdout.write("\r\x1b[K");
              process.stderr.write(`torus import-whisper: ${r.path}: ${r.error}; skipped\n`);
            }
            bar?.increment(1, { points, errors });
            if (flags.verbose && r.error === undefined && !r.unmatched) {
              process.stdout.write(`${flags.dryRun ? "would import" : "imported"} ${r.name}: ${r.points} points${r.skipped ? `, ${r.skipped} skipped` : ""}\n`);
            }
          },
        });
        bar?.stop();
        const rate = summary.seconds > 0 ? Math.round(summary.points / summary.seconds) : summary.points;
        process.stdout.write(
          `${summary.dryRun ? "dry run: would import" : "imported"} ${summary.files} files, ${summary.points} points into ${flags.schema} ` +
            `in ${summary.seconds.toFixed(2)} s (${rate} points/s); ${summary.skipped} points skipped, ${summary.errors.length} files with errors` +
            `${summary.unmatched ? `, ${summary.unmatched} files not matched by the schema (left alone)` : ""}\n`,
        );
        for (const iv of summary.intervalsWithoutArchive) {
          process.stdout.write(`interval ${JSON.stringify(iv)}: no archive's step divides it, nothing written there\n`);
        }
        // Every file was tried; a skipped one still makes the run a failure a script can see.
        if (summary.errors.length > 0) process.exitCode = 1;
      } finally {
        await host.close();
      }
    });
}
