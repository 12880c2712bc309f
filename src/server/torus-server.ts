import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import { Karbon, type KarbonAddresses } from "../ingest/karbon.js";
import { localMetrics } from "../ingest/metrics-server.js";
import { carbonListeners } from "../ingest/receivers/listener.js";
import type { Logger } from "../logging/logger.js";
import { buildQueryApp, pointWriter, QueryMetrics } from "../query/index.js";
import { RuntimeHost } from "./runtime-host.js";
import { dataLocations, describeListeners, type Listener } from "./start-line.js";

export interface TorusServerOptions {
  configFiles: readonly string[];
  /** Already loaded (skips the first load). */
  config?: Config;
  http: Listener;
  /** Carbon plaintext over TCP in the same process (`torus start`); null serves queries and `/insert` only. */
  karbonTcp?: Listener | null;
  /** Carbon pickle over TCP in the same process (`torus start --pickle`). */
  karbonPickle?: Listener | null;
  logger: Logger;
  /** False: no `/series` response cache, whatever QUERY_CACHE says (`--no-cache`). */
  cache?: boolean;
  /** Announce the start with one plain line on stderr (a terminal) instead of the JSON log lines. */
  plainStart?: boolean;
  /** Called once listening, before the start is announced: install signal handlers here, so a signal sent on the announcement finds them. */
  onReady?: (server: TorusServer) => void;
}

export interface TorusServer {
  readonly http: AddressInfo;
  readonly karbon: KarbonAddresses;
  readonly app: FastifyInstance;
  reload(): Promise<Error | null>;
  /** Stop accepting, flush what karbon accepted, close stores; resolves to points that could not be stored. */
  stop(): Promise<number>;
}

/**
 * `torus` and `torus start`: one runtime host owns the configuration, the
 * stores and the reload; karbon (its receivers only when asked) is the write
 * path of `/insert`; the query app reads the host's current runtime, so both
 * share one StoreRegistry and one reload.
 */
export async function startTorusServer(options: TorusServerOptions): Promise<TorusServer> {
  // The page cache defaults of an ingesting process when karbon listens here too.
  const host = new RuntimeHost({ configFiles: options.configFiles, config: options.config, logger: options.logger, role: options.karbonTcp || options.karbonPickle ? "ingest" : "query" });
  const { config } = await host.load();
  // With a plain start line, the one line below covers karbon's ports too.
  const karbon = new Karbon({ runtime: host, listeners: carbonListeners(options.karbonTcp ?? null, null, options.karbonPickle ?? null), logger: options.logger, announce: options.plainStart ? () => {} : undefined });
  const stopAll = async () => {
    try {
      return await karbon.stop();
    } finally {
      await host.close();
    }
  };
  let karbonAddresses: KarbonAddresses;
  try {
    karbonAddresses = await karbon.start();
  } catch (err) {
    await host.close();
    throw err;
  }
  const app = buildQueryApp({
    runtime: () => host.runtime(),
    writer: pointWriter(karbon),
    logger: options.logger,
    metrics: new QueryMetrics({ processMetrics: true }),
    cache: options.cache ?? true,
    // The status panel reads this karbon when it takes Carbon lines here (`torus start`).
    karbon: options.karbonTcp || options.karbonPickle ? { name: "in-process", ...localMetrics(karbon.metrics) } : null,
  });
  try {
    await app.listen({ host: options.http.host, port: options.http.port });
  } catch (err) {
    await stopAll();
    throw err;
  }
  const http = app.server.address() as AddressInfo;
  const server: TorusServer = {
    http,
    karbon: karbonAddresses,
    app,
    reload: () => host.reload(),
    async stop() {
      await app.close();
      return stopAll();
    },
  };
  options.onReady?.(server);
  const fields = { http, karbon: karbonAddresses.tcp, ...(karbonAddresses.pickle ? { pickle: karbonAddresses.pickle } : {}), schemas: config.schemas.length, files: config.files };
  if (options.plainStart) {
    const carbonTcp = karbonAddresses.tcp && options.karbonTcp ? { host: options.karbonTcp.host, port: karbonAddresses.tcp.port } : null;
    const carbonPickle = karbonAddresses.pickle && options.karbonPickle ? { host: options.karbonPickle.host, port: karbonAddresses.pickle.port } : null;
    process.stderr.write(`${describeListeners("torus", { http: { host: options.http.host, port: http.port }, carbonTcp, carbonPickle, data: dataLocations(config) })}\n`);
  } else options.logger.info(fields, "torus listening");
  return server;
}
