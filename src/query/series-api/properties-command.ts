import type { Runtime } from "../../runtime/runtime.js";
import type { Properties } from "../../timeseries/index.js";
import { one, required, type Params } from "../http/params.js";
import { checkReadName, chooseSchema, pickSchema } from "../resolve/resolve-stat.js";
import { waitForStore } from "../resolve/store-wait.js";

/**
 * `GET /properties?stat=X[&schema=S][&interval=I]` → `{stat: {schema: {interval: {first, last}}}}`
 * over every schema the stat matches (or the one asked for), in declaration
 * order. With `interval`, only that interval of the schemas that have it;
 * a 400 under the same rule as `/series` when none of them has it.
 */
export async function propertiesCommand(params: Params, runtime: Runtime): Promise<Record<string, Record<string, Properties>>> {
  const stat = required(params, "stat");
  checkReadName(stat, runtime);
  const forced = one(params, "schema");
  const interval = one(params, "interval");
  let schemas = forced ? [pickSchema(runtime, [stat], forced)!] : runtime.matching(stat);
  if (interval !== undefined && interval !== "") {
    chooseSchema(runtime, [stat], forced, interval);
    schemas = schemas.filter((s) => s.series.intervals.some((i) => i.name === interval));
  }
  const bySchema: Record<string, Properties> = {};
  const props = await Promise.all(schemas.map((s) => waitForStore(s.series.properties(stat), s, runtime.config.queryTimeoutMs)));
  schemas.forEach((s, i) => {
    const p = props[i];
    bySchema[s.compiled.name] = interval !== undefined && interval !== "" ? (p[interval] ? { [interval]: p[interval] } : {}) : p;
  });
  return { [stat]: bySchema };
}
