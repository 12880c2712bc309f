import { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { createLogger } from "../../logging/logger.js";
import { formatSchemaTest, schemaTest } from "../../tools/schema-test.js";
import { collect, UsageError } from "../run-cli.js";

/** `torus schema-test --config F [--clear] [--duration S]`: load-test the routing and write path. */
export function schemaTestCommand(): Command {
  return new Command("schema-test")
    .description("load-test the schemas with their generators through the full routing and write path")
    .option("--config <file>", "configuration module; repeat for several", collect, [])
    .option("--clear", "delete all data of every schema first", false)
    .option("--duration <seconds>", "how long to run", "60")
    .action(async (opts: { config: string[]; clear: boolean; duration: string }) => {
      if (opts.config.length === 0) throw new UsageError("--config: at least one configuration file is required");
      const duration = Number(opts.duration);
      if (!(duration > 0)) throw new UsageError(`--duration: expected a positive number of seconds, got ${JSON.stringify(opts.duration)}`);
      const config = await loadConfig(opts.config);
      const result = await schemaTest(config, { duration, clear: opts.clear, logger: createLogger("schema-test", config.debug) });
      process.stdout.write(formatSchemaTest(result));
    });
}
