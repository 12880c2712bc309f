import { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { createLogger } from "../logging/logger.js";
import { parseEndpoint } from "./endpoint.js";
import { collect } from "./run-cli.js";
import { serveSignals } from "./serve-signals.js";
import { startTorusServer } from "./torus-server.js";

export interface WebOptions {
  tcp: string;
  config: string[];
}

/** Add the query server's flags to a command (the root `torus` and `torus web` share them). */
export function withWebOptions(cmd: Command): Command {
  return cmd
    .option("--tcp <host:port>", 'HTTP binding, "host:port", ":port" or "port"', "localhost:8080")
    .option("--config <file>", "configuration module (.ts/.mts/.js/.mjs/.cjs); repeat for several", collect, []);
}

/** Run the query server until a signal stops it. */
export async function runWeb(opts: WebOptions): Promise<void> {
  const http = parseEndpoint(opts.tcp, "localhost", "--tcp");
  if (opts.config.length === 0) throw new Error("--config: at least one configuration file is required (or run `torus start` for the bundled statsd setup)");
  const config = await loadConfig(opts.config);
  const logger = createLogger("torus", config.debug);
  const server = await startTorusServer({ configFiles: opts.config, config, http, logger });
  serveSignals(server, logger);
}

/** `torus web [--tcp H:P] [--config F]...`: the query server (the same as bare `torus`). */
export function webCommand(): Command {
  return withWebOptions(new Command("web"))
    .description("the query server (same as `torus` with no command)")
    .action((opts: WebOptions) => runWeb(opts));
}
