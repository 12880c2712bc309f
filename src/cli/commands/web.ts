import cluster from "node:cluster";
import { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { createLogger } from "../../logging/logger.js";
import { parseEndpoint } from "../endpoint.js";
import { collect, UsageError } from "../run-cli.js";
import { serveSignals } from "../serve-signals.js";
import { startTorusServer } from "../../server/torus-server.js";
import { superviseWorkers, workerCount } from "../worker-supervisor.js";

export interface WebOptions {
  tcp: string;
  config: string[];
  workers?: string;
  /** commander's `--no-cache`: false when given. */
  cache?: boolean;
}

/** Add the query server's flags to a command (the root `torus` and `torus web` share them). */
export function withWebOptions(cmd: Command): Command {
  return cmd
    .option("--tcp <host:port>", 'HTTP binding, "host:port", ":port" or "port"', "localhost:8080")
    .option("--config <file>", "configuration module (.ts/.mts/.js/.mjs/.cjs); repeat for several", collect, [])
    .option("--workers <n>", "serve from this many processes sharing the port (node:cluster); stores are shared as usual", "1")
    .option("--no-cache", "no /series response cache, whatever QUERY_CACHE says");
}

/** Run the query server until a signal stops it. */
export async function runWeb(opts: WebOptions): Promise<void> {
  const http = parseEndpoint(opts.tcp, "localhost", "--tcp");
  if (opts.config.length === 0) throw new UsageError("--config: at least one configuration file is required; or run `torus start` for the bundled statsd setup");
  const workers = workerCount(opts.workers);
  const config = await loadConfig(opts.config);
  const logger = createLogger("torus", config.debug);
  if (workers > 1 && cluster.isPrimary) {
    superviseWorkers({ count: workers, logger, label: "torus" });
    return;
  }
  await startTorusServer({
    configFiles: opts.config,
    config,
    http,
    logger,
    cache: opts.cache !== false,
    plainStart: process.stderr.isTTY === true && !cluster.isWorker,
    onReady: (server) => serveSignals(server, logger, { worker: cluster.isWorker }),
  });
}

/** `torus web [--tcp H:P] [--config F]...`: the query server (the same as bare `torus`). */
export function webCommand(): Command {
  return withWebOptions(new Command("web"))
    .description("the query server (same as `torus` with no command)")
    .action((opts: WebOptions) => runWeb(opts));
}
