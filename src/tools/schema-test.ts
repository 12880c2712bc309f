import { ConfigError, ConfigErrorCodes, type Config } from "../config/index.js";
import { Karbon } from "../ingest/karbon.js";
import type { Logger } from "../logging/logger.js";
import { RuntimeHost } from "../server/runtime-host.js";
import { ErrorCodes, TorusError } from "../timeseries/index.js";

export interface SchemaTestResult {
  emitted: number;
  inserted: number;
  seconds: number;
  bySchema: Array<[string, number]>;
  byAggregate: Array<[string, number]>;
}

/**
 * The seed's schema_test: call every schema's `generator` for `duration`
 * seconds and push each point through the full routing and write path
 * (the same dispatcher and write buffers karbon uses), then flush.
 */
export async function schemaTest(config: Config, options: { duration: number; clear?: boolean; logger: Logger }): Promise<SchemaTestResult> {
  const generators = config.schemas.filter((s) => s.generator).map((s) => s.generator!);
  if (generators.length === 0) throw new ConfigError(ConfigErrorCodes.INVALID, "no schema defines a generator: add `generator: () => [stat, value]` to a schema", { field: "generator" });
  const host = new RuntimeHost({ configFiles: config.files, config, logger: options.logger, role: "tool" });
  try {
    const runtime = await host.load();
    if (options.clear) for (const s of runtime.schemas) await s.series.delete_all();
    const karbon = new Karbon({ runtime: host, logger: options.logger });
    await karbon.start();
    const dispatcher = karbon.current;
    const started = process.hrtime.bigint();
    const until = Date.now() + options.duration * 1000;
    let emitted = 0;
    while (Date.now() < until) {
      // Work in slices so flush timers run, as they would under real traffic.
      for (let i = 0; i < 2_000; i++) {
        const [stat, value] = generators[emitted % generators.length]();
        dispatcher.process(stat, value, Math.floor(Date.now() / 1000));
        emitted++;
      }
      await new Promise((r) => setImmediate(r));
    }
    const lost = await karbon.stop();
    if (lost > 0) throw new TorusError(ErrorCodes.STORE, `${lost} points could not be written to their store`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const bySchema = config.schemas.map((s, i) => [s.name, dispatcher.stored[i]] as [string, number]);
    const byAggregate = config.aggregates.map((a, i) => [a.label, dispatcher.emitted[i]] as [string, number]);
    return { emitted, inserted: bySchema.reduce((s, [, n]) => s + n, 0), seconds, bySchema, byAggregate };
  } finally {
    await host.close();
  }
}

export function formatSchemaTest(r: SchemaTestResult): string {
  const table = (title: string, rows: Array<[string, number]>) => {
    const w = Math.max(title.length, ...rows.map(([k]) => k.length));
    return [`${title.padEnd(w)}  count`, `${"-".repeat(w)}  -----`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)].join("\n");
  };
  return [
    `emitted      ${r.emitted}`,
    `inserted     ${r.inserted}`,
    `seconds      ${r.seconds.toFixed(2)}`,
    `inserts/sec  ${Math.round(r.inserted / r.seconds)}`,
    "",
    table("schema", r.bySchema),
    "",
    table("aggregate", r.byAggregate),
    "",
  ].join("\n");
}
