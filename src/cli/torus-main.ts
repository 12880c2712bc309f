import { Command } from "commander";
import { importWhisperCommand } from "./commands/import-whisper.js";
import { migrateCommand } from "./commands/migrate.js";
import { queryCommand } from "./commands/query.js";
import { schemaDebugCommand } from "./commands/schema-debug.js";
import { schemaTestCommand } from "./commands/schema-test.js";
import { runCli } from "./run-cli.js";
import { startCommand } from "./commands/start.js";
import { runWeb, webCommand, withWebOptions, type WebOptions } from "./commands/web.js";

/**
 * `torus`: bare, it is the query server (seed behaviour); each subcommand is
 * a Command built by its own module's factory, so adding one is one line.
 */
export function torusProgram(): Command {
  const program = withWebOptions(new Command("torus"))
    .description("Torus, a web server for mining data out of the timeseries stores; and its tools")
    .enablePositionalOptions()
    .action((opts: WebOptions) => runWeb(opts));
  program.addCommand(startCommand());
  program.addCommand(webCommand());
  program.addCommand(queryCommand());
  program.addCommand(migrateCommand());
  program.addCommand(schemaDebugCommand());
  program.addCommand(schemaTestCommand());
  program.addCommand(importWhisperCommand());
  return program;
}

await runCli(torusProgram(), process.argv, "torus");
