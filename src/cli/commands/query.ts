import { Command } from "commander";
import { UsageError } from "../run-cli.js";
import { fetchSeries, formatPlot, formatTable, useColor } from "../../tools/query-tool.js";

interface QueryFlags {
  url: string;
  start?: string;
  end?: string;
  steps?: string;
  interval?: string;
  schema?: string;
  plot?: boolean;
}

/** `torus query [--url U] STAT... [--start T] [--end T] [--steps N] [--interval I] [--schema S] [--plot]` */
export function queryCommand(): Command {
  return new Command("query")
    .description("print a table of a running torus's datapoints, or a terminal chart with --plot")
    .argument("<stat...>", "stats to read: name, func(name) or func(a,b,c)")
    .option("--url <url>", "the torus server", "http://localhost:8080")
    .option("--start <time>", "start of the range (Unix time, date, phrase like \"2 hours ago\", or -1h)")
    .option("--end <time>", "end of the range (same formats; default: now when --start is given without --steps)")
    .option("--steps <n>", "number of buckets")
    .option("--interval <name>", "interval to read (default: the schema's first)")
    .option("--schema <name>", "force a schema")
    .option("--plot", "draw a chart instead of a table")
    .action(async (stats: string[], flags: QueryFlags) => {
      try {
        new URL(flags.url);
      } catch {
        throw new UsageError(`--url: ${JSON.stringify(flags.url)} is not a URL, e.g. http://localhost:8080`);
      }
      if (flags.steps !== undefined && !/^[1-9]\d*$/.test(flags.steps.trim())) throw new UsageError(`--steps: expected a positive whole number, got ${JSON.stringify(flags.steps)}`);
      const entries = await fetchSeries({ url: flags.url, stats, start: flags.start, end: flags.end, steps: flags.steps, interval: flags.interval, schema: flags.schema });
      const height = Math.max(5, Math.min(30, (process.stdout.rows ?? 24) - 8));
      process.stdout.write(flags.plot ? formatPlot(entries, { height, color: useColor() }) : formatTable(entries));
    });
}
