import { loadConfig, type Config } from "../config/index.js";
import type { Logger } from "../logging/logger.js";
import { buildRuntime, type Runtime, type RuntimeSource } from "../runtime/runtime.js";
import { StoreRegistry } from "../timeseries/index.js";

/** What a process does with its stores, which decides the client_config defaults they open with. */
export type StoreRole = "ingest" | "query" | "tool";

/**
 * client_config defaults per role (a schema's own client_config still wins).
 * Ingesting, a SQLite page cache mostly holds pages about to be rewritten:
 * keep it small (16 MB, one per file), and commit on a writer thread per file
 * so parsing and merging go on meanwhile (fed the batches' columns). The query server, and the tools, keep
 * the store's own default (64 MB of SQLite page cache), which serves reads.
 */
export const STORE_DEFAULTS: Readonly<Record<StoreRole, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> = {
  ingest: { sqlite: { cache_mb: 16, writer_thread: true } },
  query: {},
  tool: {},
};

export interface RuntimeHostOptions {
  configFiles: readonly string[];
  /** Already loaded configuration (skips the first load; a reload reads `configFiles`). */
  config?: Config;
  logger: Logger;
  role: StoreRole;
  /** False: do not run `on_load` (tools that only read or copy data). */
  hooks?: boolean;
}

/**
 * The one place that reads configuration: it loads the files, builds the
 * runtime (router and stores, opened through its StoreRegistry), runs the
 * `on_load` hooks, and on reload (SIGHUP) builds the next runtime over the
 * same registry, tells the servers (karbon rebuilds its dispatcher), runs
 * `on_reload`. A configuration that fails to load keeps the running one.
 */
export class RuntimeHost implements RuntimeSource {
  readonly registry: StoreRegistry;
  private current: Runtime | null = null;
  private loading: Promise<Runtime> | null = null;
  private readonly listeners: Array<(runtime: Runtime) => void> = [];

  constructor(private readonly options: RuntimeHostOptions) {
    this.registry = new StoreRegistry(STORE_DEFAULTS[options.role]);
  }

  /** Load the configuration (unless given), open the stores, run `on_load`. */
  load(): Promise<Runtime> {
    this.loading ??= (async () => {
      const config = this.options.config ?? (await loadConfig(this.options.configFiles));
      const runtime = await buildRuntime(config, this.registry);
      this.current = runtime;
      if (this.options.hooks !== false) for (const hook of config.onLoad) await hook();
      return runtime;
    })();
    return this.loading;
  }

  runtime(): Runtime {
    if (!this.current) throw new Error("the runtime host has not loaded its configuration yet (call load() first)");
    return this.current;
  }

  get config(): Config {
    return this.runtime().config;
  }

  onInstall(listener: (runtime: Runtime) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Reload every configuration file (SIGHUP). A configuration that fails to
   * load keeps the running one; the error is logged and returned.
   */
  async reload(): Promise<Error | null> {
    const logger = this.options.logger;
    try {
      await this.load(); // a SIGHUP during start waits for the first load, or would be overwritten by it
      const config = await loadConfig(this.options.configFiles);
      const runtime = await buildRuntime(config, this.registry);
      this.current = runtime;
      for (const listener of this.listeners) listener(runtime);
      for (const hook of config.onReload) await hook();
      logger.info({ files: config.files, schemas: config.schemas.length }, "configuration reloaded");
      return null;
    } catch (err) {
      logger.error({ err: (err as Error).message }, "reload failed; keeping the running configuration");
      return err as Error;
    }
  }

  /** Close every store the runtimes opened. */
  close(): Promise<void> {
    return this.registry.closeAll();
  }
}
