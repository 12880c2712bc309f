import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { loadConfig, type Config } from "../config/index.js";
import { Karbon, type KarbonAddresses } from "../ingest/karbon.js";
import type { Logger } from "../logging/logger.js";
import { buildQueryApp, karbonWriter, QueryMetrics } from "../query/index.js";
import type { Endpoint } from "../cli/endpoint.js";
import { dataLocations, describeListeners } from "./start-line.js";

export interface TorusServerOptions {
  configFiles: readonly string[];
  /** Already loaded (skips the first load). */
  config?: Config;
  http: Endpoint;
  /** Carbon plaintext over TCP in the same process (`torus start`); null serves queries and `/insert` only. */
  karbonTcp?: Endpoint | null;
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
 * The composition root of `torus` and `torus start`: one Karbon (its
 * receivers only when asked) owns the configuration, the stores and the
 * write path; the query app reads karbon's current runtime, so both share
 * one StoreRegistry and one reload.
 */
export async function startTorusServer(options: TorusServerOptions): Promise<TorusServer> {
  const config = options.config ?? (await loadConfig(options.configFiles));
  // With a plain start line, the one line below covers karbon's ports too.
  const karbon = new Karbon({ configFiles: options.configFiles, config, tcp: options.karbonTcp ?? null, logger: options.logger, announce: options.plainStart ? () => {} : undefined });
  const karbonAddresses = await karbon.start();
  const app = buildQueryApp({
    runtime: () => karbon.current.runtime,
    writer: karbonWriter(karbon),
    logger: options.logger,
    metrics: new QueryMetrics({ processMetrics: true }),
    cache: options.cache ?? true,
  });
  try {
    await app.listen({ host: options.http.host, port: options.http.port });
  } catch (err) {
    await karbon.stop();
    throw err;
  }
  const http = app.server.address() as AddressInfo;
  const server: TorusServer = {
    http,
    karbon: karbonAddresses,
    app,
    reload: () => karbon.reload(),
    async stop() {
      await app.close();
      return karbon.stop();
    },
  };
  options.onReady?.(server);
  const fields = { http, karbon: karbonAddresses.tcp, schemas: config.schemas.length, files: config.files };
  if (options.plainStart) {
    const carbonTcp = karbonAddresses.tcp && options.karbonTcp ? { host: options.karbonTcp.host, port: karbonAddresses.tcp.port } : null;
    process.stderr.write(`${describeListeners("torus", { http: { host: options.http.host, port: http.port }, carbonTcp, data: dataLocations(config) })}\n`);
  } else options.logger.info(fields, "torus listening");
  return server;
}
