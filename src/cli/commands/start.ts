import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { ConfigError, ConfigErrorCodes, loadConfig } from "../../config/index.js";
import { createLogger } from "../../logging/logger.js";
import { parseEndpoint } from "../endpoint.js";
import { limitHeapGrowth } from "../heap-growth.js";
import { collect } from "../run-cli.js";
import { serveSignals } from "../serve-signals.js";
import { startTorusServer } from "../../server/torus-server.js";

/**
 * The bundled statsd example, found relative to this module: src/cli/commands
 * and dist/cli/commands are both three levels below the package root, where
 * examples/ ships (package.json "files"), so this holds in a checkout and in
 * a global install.
 */
export function defaultConfigPath(): string {
  return fileURLToPath(new URL("../../../examples/statsd.ts", import.meta.url));
}

interface StartOptions {
  config: string[];
  tcp: string;
  karbon: string;
  pickle?: string;
}

/** `torus start`: query server and karbon in one process, sharing stores. */
export function startCommand(): Command {
  return new Command("start")
    .description("quick start: the query server and karbon in one process (default: the bundled statsd config on SQLite under $TORUS_DATA or ~/.local/share/torus)")
    .option("--config <file>", "configuration module; repeat for several (default: examples/statsd.ts)", collect, [])
    .option("--tcp <host:port>", "HTTP query server binding", "localhost:8080")
    .option("--karbon <host:port>", "Carbon plaintext (TCP) binding", "localhost:2003")
    .option("--pickle <host:port>", "also take Carbon pickle over TCP here (Graphite's port is 2004)")
    .action(async (opts: StartOptions) => {
      const http = parseEndpoint(opts.tcp, "localhost", "--tcp");
      const karbonTcp = parseEndpoint(opts.karbon, "localhost", "--karbon");
      const karbonPickle = opts.pickle ? parseEndpoint(opts.pickle, "localhost", "--pickle") : null;
      let files = opts.config;
      if (files.length === 0) {
        const bundled = defaultConfigPath();
        if (!existsSync(bundled)) throw new ConfigError(ConfigErrorCodes.LOAD, `the bundled config ${JSON.stringify(bundled)} is missing; pass --config`, { field: "config", value: bundled });
        files = [bundled];
      }
      const config = await loadConfig(files);
      const logger = createLogger("torus", config.debug);
      limitHeapGrowth();
      await startTorusServer({ configFiles: files, config, http, karbonTcp, karbonPickle, logger, plainStart: process.stderr.isTTY === true, onReady: (server) => serveSignals(server, logger) });
    });
}
