import type { Logger } from "../logging/logger.js";
import { oneLine } from "./run-cli.js";
import type { TorusServer } from "./torus-server.js";

/** SIGHUP reloads every config file; SIGTERM/SIGINT stop cleanly (karbon flushes what it accepted first). */
export function serveSignals(server: TorusServer, logger: Logger): void {
  let stopping = false;
  process.on("SIGHUP", () => void server.reload());
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    const lost = await server.stop();
    if (lost > 0) {
      logger.error({ lost }, "stopped with points that could not be stored");
      process.exit(1);
    }
    logger.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("uncaughtException", (err) => {
    logger.fatal({ err: oneLine(err), stack: err.stack }, "uncaught exception; flushing and exiting");
    void stop("uncaughtException");
  });
}
