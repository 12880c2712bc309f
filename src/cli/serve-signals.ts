import cluster from "node:cluster";
import type { Logger } from "../logging/logger.js";
import { oneLine } from "./run-cli.js";

/** What a long-running command offers the signal handlers: karbon, the query server, or both. */
export interface Servable {
  reload(): Promise<unknown>;
  /** Stop and flush; resolves to the number of points that could not be stored. */
  stop(): Promise<number>;
}

/**
 * SIGHUP reloads every config file; SIGTERM/SIGINT stop accepting, flush
 * what was accepted, and exit 0 (1 if points could not be stored). An
 * uncaught exception still flushes before exiting.
 */
export function serveSignals(server: Servable, logger: Logger, options: { worker?: boolean } = {}): void {
  let stopping = false;
  process.on("SIGHUP", () => void server.reload());
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: no new input, flushing what was accepted");
    const lost = await server.stop();
    if (lost > 0) {
      logger.error({ lost }, "stopped with points that could not be stored");
      process.exit(1);
    }
    logger.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // A worker of `--workers` leaves Ctrl-C to its primary, which stops the workers itself:
  // a worker exiting on its own first would look like a crash and be replaced.
  process.on("SIGINT", () => (options.worker ? undefined : void stop("SIGINT")));
  // A worker of `--workers` whose primary is gone (killed, even with SIGKILL): node:cluster would
  // exit it at once, losing its buffers. Claim the disconnect as expected and stop the usual way.
  const worker = options.worker ? cluster.worker : undefined;
  worker?.on("disconnect", () => {
    if (stopping) return;
    worker.exitedAfterDisconnect = true;
    logger.error("the primary process is gone; flushing what was accepted and exiting");
    void stop("disconnect");
  });
  process.on("uncaughtException", (err) => {
    logger.fatal({ err: oneLine(err), stack: err.stack }, "uncaught exception; flushing and exiting");
    void stop("uncaughtException");
  });
}
