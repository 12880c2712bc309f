import cluster from "node:cluster";
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

function workerCount(value: string | undefined): number {
  const n = Number(value ?? "1");
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers: expected a whole number from 1 to 64, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The primary of `--workers N`: forks the servers, forwards SIGHUP, restarts
 * a worker that dies, and on SIGTERM/SIGINT stops them all and exits with
 * the worst exit code (non-zero if one could not store what it accepted).
 */
function superviseWorkers(count: number, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  let worst = 0;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      worst = Math.max(worst, code ?? 1);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(worst);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "worker died; starting another");
    cluster.fork();
  });
  process.on("SIGHUP", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGHUP");
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, "stopping workers");
    const live = Object.values(cluster.workers ?? {});
    if (live.length === 0) process.exit(0);
    for (const w of live) w?.process.kill("SIGTERM");
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  logger.info({ workers: count }, "torus workers starting");
}

/** Run the query server until a signal stops it. */
export async function runWeb(opts: WebOptions): Promise<void> {
  const http = parseEndpoint(opts.tcp, "localhost", "--tcp");
  if (opts.config.length === 0) throw new Error("--config: at least one configuration file is required (or run `torus start` for the bundled statsd setup)");
  const workers = workerCount(opts.workers);
  const config = await loadConfig(opts.config);
  const logger = createLogger("torus", config.debug);
  if (workers > 1 && cluster.isPrimary) return superviseWorkers(workers, logger);
  const server = await startTorusServer({ configFiles: opts.config, config, http, logger, cache: opts.cache !== false });
  serveSignals(server, logger);
}

/** `torus web [--tcp H:P] [--config F]...`: the query server (the same as bare `torus`). */
export function webCommand(): Command {
  return withWebOptions(new Command("web"))
    .description("the query server (same as `torus` with no command)")
    .action((opts: WebOptions) => runWeb(opts));
}
