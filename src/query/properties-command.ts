import type { Runtime } from "../runtime/runtime.js";
import type { Properties } from "../timeseries/index.js";
import { one, required, type Params } from "./params.js";
import { checkStatName, pickSchema } from "./resolve-stat.js";
import { waitForStore } from "./store-wait.js";

/**
 * `GET /properties?stat=X[&schema=S]` → `{stat: {schema: {interval: {first, last}}}}`
 * over every schema the stat matches (or the one asked for).
 */
export async function propertiesCommand(params: Params, runtime: Runtime): Promise<Record<string, Record<string, Properties>>> {
  const stat = required(params, "stat");
  checkStatName(stat, runtime);
  const forced = one(params, "schema");
  const schemas = forced ? [pickSchema(runtime, [stat], forced)!] : runtime.matching(stat);
  const bySchema: Record<string, Properties> = {};
  const props = await Promise.all(schemas.map((s) => waitForStore(s.series.properties(stat), s, runtime.config.queryTimeoutMs)));
  schemas.forEach((s, i) => (bySchema[s.compiled.name] = props[i]));
  return { [stat]: bySchema };
}
