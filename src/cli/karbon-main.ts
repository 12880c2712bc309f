import cluster from "node:cluster";
import { Command } from "commander";
import { loadConfig } from "../config/index.js";
import type { KarbonAddresses } from "../ingest/karbon.js";
import { KarbonPrimary, serveAsWorker } from "../ingest/cluster/karbon-cluster.js";
import { carbonListeners } from "../ingest/receivers/listener.js";
import { createLogger } from "../logging/logger.js";
import { karbonServer } from "../server/karbon-server.js";
import { parseEndpoint } from "./endpoint.js";
import { limitHeapGrowth } from "./heap-growth.js";
import { announce, dataLocations, describeListeners } from "../server/start-line.js";
import { collect, runCli, UsageError } from "./run-cli.js";
import { serveSignals } from "./serve-signals.js";
import { superviseWorkers, workerCount } from "./worker-supervisor.js";

interface KarbonFlags {
  tcp: string;
  udp?: string;
  pickle?: string;
  metrics?: string;
  config: string[];
  workers: string;
}

/** `karbon [--tcp H:P] [--udp H:P] [--pickle H:P] [--metrics H:P] [--workers N] [--config F]...` */
export function karbonProgram(): Command {
  return new Command("karbon")
    .description("Karbon, a Carbon-replacement data collection server")
    .option("--tcp <host:port>", 'TCP binding, "host:port", ":port" or "port"', "localhost:2003")
    .option("--udp <host:port>", "also listen for Carbon plaintext over UDP")
    .option("--pickle <host:port>", "also listen for Carbon pickle over TCP (Graphite's port is 2004, e.g. --pickle :2004)")
    .option("--metrics <host:port>", "serve Prometheus /metrics and /dead-letters on this HTTP port")
    .option("--workers <n>", "ingest in this many processes sharing the ports, one connection each (node:cluster)", "1")
    .option("--config <file>", "configuration module (.ts/.mts/.js/.mjs/.cjs); repeat for several", collect, [])
    .action(async (opts: KarbonFlags) => {
      const tcp = parseEndpoint(opts.tcp, "localhost", "--tcp");
      const udp = opts.udp ? parseEndpoint(opts.udp, "localhost", "--udp") : null;
      const pickle = opts.pickle ? parseEndpoint(opts.pickle, "localhost", "--pickle") : null;
      const metrics = opts.metrics ? parseEndpoint(opts.metrics, "localhost", "--metrics") : null;
      const workers = workerCount(opts.workers);
      limitHeapGrowth();
      if (opts.config.length === 0) throw new UsageError("--config: at least one configuration file is required, e.g. --config examples/statsd.ts");
      // Loaded in the primary too: a broken configuration fails here, once, before any worker starts.
      const config = await loadConfig(opts.config);
      const logger = createLogger("karbon", config.debug);
      // On a terminal, one plain line says where karbon listens; everything else stays JSON.
      const plainStart = (out: KarbonAddresses, fields: Record<string, unknown>) =>
        announce(
          logger,
          "karbon listening",
          fields,
          describeListeners("karbon", {
            carbonTcp: out.tcp && { host: tcp.host, port: out.tcp.port },
            carbonUdp: out.udp && udp && { host: udp.host, port: out.udp.port },
            carbonPickle: out.pickle && pickle && { host: pickle.host, port: out.pickle.port },
            metrics: out.metrics && metrics && { host: metrics.host, port: out.metrics.port },
            data: dataLocations(config),
          }),
        );
      if (workers > 1 && cluster.isPrimary) {
        const primary = new KarbonPrimary(workers, logger, metrics, config.http, plainStart);
        await primary.listen();
        superviseWorkers({ count: workers, logger, label: "karbon", onFork: (w) => primary.adopt(w), onStop: () => primary.close() });
        return;
      }
      const worker = cluster.isWorker;
      const server = karbonServer({ configFiles: opts.config, config, spool: true, listeners: carbonListeners(tcp, udp, pickle), metrics: worker ? null : metrics, logger, listeningMessage: worker ? "karbon worker listening" : undefined, announce: worker ? undefined : plainStart });
      // Before start: a signal sent as soon as "listening" is announced must find its handler.
      serveSignals(server, logger, { worker });
      const addresses = await server.start();
      if (worker) serveAsWorker(server.karbon, addresses);
    });
}

await runCli(karbonProgram(), process.argv, "karbon");
