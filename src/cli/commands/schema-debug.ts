import { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { schemaDebug } from "../../tools/schema-debug.js";
import { collect, UsageError } from "../run-cli.js";

/** `torus schema-debug STRING... --config F`: the routing of each stat name, as text. */
export function schemaDebugCommand(): Command {
  return new Command("schema-debug")
    .description("show which schemas, hosts, transforms and aggregates each stat name hits, recursively")
    .argument("<strings...>", "stat names to test")
    .option("--config <file>", "configuration module; repeat for several", collect, [])
    .action(async (strings: string[], opts: { config: string[] }) => {
      if (opts.config.length === 0) throw new UsageError("--config: at least one configuration file is required");
      process.stdout.write(schemaDebug(await loadConfig(opts.config), strings));
    });
}
