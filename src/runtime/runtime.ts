import type { CompiledAggregate, CompiledSchema, Config } from "../config/index.js";
import { Router } from "../routing/router.js";
import { Timeseries, type Store, type StoreRegistry } from "../timeseries/index.js";
import { runtimeEvents, type RuntimeEvents } from "./events-store.js";

/** A configured schema bound to its opened store. */
export interface RuntimeSchema {
  readonly compiled: CompiledSchema;
  readonly series: Timeseries;
  readonly store: Store;
}

/** One loaded configuration, wired: schemas on their stores and the router over them. */
export interface Runtime {
  readonly config: Config;
  readonly schemas: readonly RuntimeSchema[];
  readonly router: Router<CompiledSchema, CompiledAggregate>;
  /** Where Graphite events go (EVENTS, else the first schema's store); null without any store. */
  readonly events: RuntimeEvents | null;
  /** The schema of that name, or undefined. */
  schema(name: string): RuntimeSchema | undefined;
  /** Schemas whose `match` hits the stat, in declaration order. */
  matching(stat: string): RuntimeSchema[];
}

/**
 * Open every schema's store through the registry (schemas naming the same
 * URL share one client) and build the router. A reload builds a new runtime
 * over the same registry, so stores stay open across reloads.
 */
export async function buildRuntime(config: Config, registry: StoreRegistry): Promise<Runtime> {
  const schemas: RuntimeSchema[] = [];
  for (const compiled of config.schemas) {
    const store = await registry.open(compiled.host, compiled.clientConfig, `schema ${JSON.stringify(compiled.name)}: host`);
    schemas.push({ compiled, store, series: new Timeseries(store, compiled.options) });
  }
  const byName = new Map(schemas.map((s) => [s.compiled.name, s]));
  const events = runtimeEvents(config, registry);
  return {
    config,
    schemas,
    events,
    router: new Router(config.schemas, config.aggregates),
    schema: (name) => byName.get(name),
    matching: (stat) => schemas.filter((s) => s.compiled.matches(stat)),
  };
}

/**
 * Where a server reads the runtime in use, and hears of the next one. The
 * runtime host (src/server/) is one; a fixed runtime (tests, one-shot tools)
 * is another. Servers never load configuration themselves.
 */
export interface RuntimeSource {
  /** The runtime in use now. */
  runtime(): Runtime;
  /** Called with each runtime a reload builds, as it becomes current (before the `on_reload` hooks run). */
  onInstall(listener: (runtime: Runtime) => void): void;
}

/** A runtime that never changes: for tests and tools that build one and use it. */
export function fixedRuntime(runtime: Runtime): RuntimeSource {
  return { runtime: () => runtime, onInstall: () => {} };
}
