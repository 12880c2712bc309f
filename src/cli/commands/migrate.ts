import { Command } from "commander";
import cliProgress from "cli-progress";
import { loadConfig } from "../../config/index.js";
import { collect, UsageError } from "../run-cli.js";
import { flagTime, positiveInt } from "./flag-values.js";
import { createLogger } from "../../logging/logger.js";
import { RuntimeHost } from "../../server/runtime-host.js";
import { migrate, type StatReport } from "../../tools/migrate.js";

interface MigrateFlags {
  config: string[];
  source: string;
  destination: string;
  interval: string;
  start?: string;
  end?: string;
  concurrency: number;
  stat: string[];
  match?: string;
  dryRun?: boolean;
  verbose?: boolean;
}

/** `torus migrate`: copy one interval's data from one schema to another (seed "Migration"). */
export function migrateCommand(): Command {
  return new Command("migrate")
    .description("A tool to migrate data from one schema to another")
    .option("--config <file>", "configuration file to load; repeat for several", collect, [])
    .requiredOption("--source <schema>", "the name of the source schema")
    .requiredOption("--destination <schema>", "the name of the destination schema")
    .requiredOption("--interval <name>", "the name of the interval from which to read data")
    .option("--start <time>", "only copy stats occurring on or after this time (same formats as the web parameter)")
    .option("--end <time>", "only copy stats occurring on or before this time (same formats as the web parameter)")
    .option("--concurrency <n>", "stats copied at once", positiveInt, 10)
    .option("--stat <name>", "a stat to copy; repeat for several (default: every stat)", collect, [])
    .option("--match <regex>", "only copy stats this regular expression finds")
    .option("--dry-run", "read and report, but write nothing to the destination")
    .option("--verbose", "print a line per stat")
    .action(async (flags: MigrateFlags) => {
      if (flags.config.length === 0) throw new UsageError("--config: at least one configuration file is required");
      let match: RegExp | null = null;
      if (flags.match !== undefined) {
        try {
          match = new RegExp(flags.match);
        } catch (err) {
          throw new UsageError(`--match: ${JSON.stringify(flags.match)} is not a valid regular expression (${(err as Error).message})`);
        }
      }
      const config = await loadConfig(flags.config);
      const time = { now: Math.floor(Date.now() / 1000), timezone: config.timezone };
      const start = flags.start === undefined ? null : flagTime(flags.start, "--start", time);
      const end = flags.end === undefined ? null : flagTime(flags.end, "--end", time);
      // A copy, not a server: the stores open with their own defaults and no on_load hook runs.
      const host = new RuntimeHost({ configFiles: flags.config, config, logger: createLogger("migrate", config.debug), role: "tool", hooks: false });
      try {
        const runtime = await host.load();
        const bar = process.stdout.isTTY && !flags.verbose ? new cliProgress.SingleBar({ format: "migrating {bar} {value}/{total} stats | {rows} rows | eta {eta_formatted}" }, cliProgress.Presets.shades_classic) : null;
        let rows = 0;
        const summary = await migrate(runtime, {
          source: flags.source,
          destination: flags.destination,
          interval: flags.interval,
          start,
          end,
          stats: flags.stat,
          match,
          concurrency: flags.concurrency,
          dryRun: flags.dryRun,
          onPlan: (n) => bar?.start(n, 0, { rows: 0 }),
          onStat: (r: StatReport) => {
            rows += r.rows;
            bar?.increment(1, { rows });
            if (flags.verbose) process.stdout.write(`${flags.dryRun ? "would copy" : "copied"} ${r.stat}: ${r.buckets} buckets, ${r.rows} rows\n`);
          },
        });
        bar?.stop();
        process.stdout.write(
          `${summary.dryRun ? "dry run: would migrate" : "migrated"} ${summary.stats} stats, ${summary.buckets} buckets, ${summary.rows} rows ` +
            `from ${flags.source}/${flags.interval} to ${flags.destination} in ${summary.seconds.toFixed(2)} s\n`,
        );
      } finally {
        await host.close();
      }
    });
}
