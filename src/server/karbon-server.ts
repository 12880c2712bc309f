import type { Config } from "../config/index.js";
import { Karbon, type KarbonAddresses, type KarbonOptions } from "../ingest/karbon.js";
import { RuntimeHost } from "./runtime-host.js";

export interface KarbonServerOptions extends Omit<KarbonOptions, "runtime"> {
  configFiles: readonly string[];
  /** Already loaded configuration (skips the first load). */
  config?: Config;
}

/** `karbon` (and each worker of `--workers`): a runtime host and the karbon ingesting into it. */
export interface KarbonServer {
  readonly karbon: Karbon;
  readonly host: RuntimeHost;
  /** Load the configuration, open the stores, run `on_load`, start listening. */
  start(): Promise<KarbonAddresses>;
  reload(): Promise<Error | null>;
  /** Stop accepting, flush what was accepted, close the stores; resolves to points that could not be stored. */
  stop(): Promise<number>;
}

export function karbonServer(options: KarbonServerOptions): KarbonServer {
  const { configFiles, config, ...karbonOptions } = options;
  const host = new RuntimeHost({ configFiles, config, logger: options.logger, role: "ingest" });
  const karbon = new Karbon({ ...karbonOptions, runtime: host });
  return {
    karbon,
    host,
    async start() {
      try {
        await host.load();
        return await karbon.start();
      } catch (err) {
        await host.close();
        throw err;
      }
    },
    reload: () => host.reload(),
    async stop() {
      try {
        return await karbon.stop();
      } finally {
        await host.close();
      }
    },
  };
}
