import type { Config } from "../config/index.js";
import type { EventLog, StoreRegistry } from "../timeseries/index.js";

/** Where Graphite events go: the EVENTS store (the first schema's by default), opened when first asked for. */
export interface RuntimeEvents {
  /** The store's URL as configured (may hold a password: not for messages). */
  readonly host: string;
  /** The store's event log; null when the store keeps none (a Carbon relay as the default store). */
  log(): Promise<EventLog | null>;
}

/**
 * The EVENTS store's event log, opened through the registry on first use
 * (the first schema's store by default, shared with it): karbon builds the
 * same runtime and never asks, so it opens no store for events.
 */
export function runtimeEvents(config: Config, registry: StoreRegistry): RuntimeEvents | null {
  if (config.events === null) return null;
  const { host, explicit } = config.events;
  const schema = config.schemas.find((s) => s.host === host);
  let opened: Promise<EventLog | null> | null = null;
  return {
    host,
    log() {
      if (opened === null) {
        const field = explicit ? "EVENTS" : `schema ${JSON.stringify(schema?.name)}: host`;
        opened = registry.open(host, schema?.clientConfig ?? {}, field).then((store) => store.events ?? null);
        // A store that failed to open is tried again on the next request.
        opened.catch(() => (opened = null));
      }
      return opened;
    },
  };
}
