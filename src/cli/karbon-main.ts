import { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { Karbon } from "../ingest/karbon.js";
import { createLogger } from "../logging/logger.js";
import { parseEndpoint } from "./endpoint.js";
import { collect, runCli } from "./run-cli.js";
import { serveSignals } from "./serve-signals.js";

/** `karbon [--tcp H:P] [--udp H:P] [--metrics H:P] [--config F]...` */
export function karbonProgram(): Command {
  return new Command("karbon")
    .description("Karbon, a Carbon-replacement data collection server")
    .option("--tcp <host:port>", 'TCP binding, "host:port", ":port" or "port"', "localhost:2003")
    .option("--udp <host:port>", "also listen for Carbon plaintext over UDP")
    .option("--metrics <host:port>", "serve Prometheus /metrics and /dead-letters on this HTTP port")
    .option("--config <file>", "configuration module (.ts/.mts/.js/.mjs/.cjs); repeat for several", collect, [])
    .showHelpAfterError()
    .action(async (opts: { tcp: string; udp?: string; metrics?: string; config: string[] }) => {
      const tcp = parseEndpoint(opts.tcp, "localhost", "--tcp");
      const udp = opts.udp ? parseEndpoint(opts.udp, "localhost", "--udp") : null;
      const metrics = opts.metrics ? parseEndpoint(opts.metrics, "localhost", "--metrics") : null;
      if (opts.config.length === 0) throw new Error("--config: at least one configuration file is required (see examples/statsd.ts)");
      const config = await loadConfig(opts.config);
      const logger = createLogger("karbon", config.debug);
      const karbon = new Karbon({ configFiles: opts.config, config, tcp, udp, metrics, logger });
      await karbon.start();
      serveSignals(karbon, logger);
    });
}

await runCli(karbonProgram(), process.argv, "karbon");
