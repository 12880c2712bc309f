import { ConfigError, ConfigErrorCodes, type Config } from "../config/index.js";
import type { EventLog, StoreRegistry } from "../timeseries/index.js";

/**
 * The event log of the EVENTS store, opened through the registry (the first
 * schema's store by default, shared with it). A store that keeps no events
 * (a Carbon relay) is a configuration error when EVENTS names it, and
 * leaves events off when it is only the default.
 */
export async function openEvents(config: Config, registry: StoreRegistry): Promise<{ log: EventLog; url: string } | null> {
  if (config.events === null) return null;
  const { host, explicit } = config.events;
  const schema = config.schemas.find((s) => s.host === host);
  const store = await registry.open(host, schema?.clientConfig ?? {}, explicit ? "EVENTS" : `schema ${JSON.stringify(schema?.name)}: host`);
  if (store.events) return { log: store.events, url: store.url };
  if (!explicit) return null;
  throw new ConfigError(ConfigErrorCodes.INVALID, `EVENTS: ${store.url} keeps no events (use a sqlite, redis, redis-cluster, postgresql or mysql URL)`, { field: "EVENTS", value: store.url });
}
