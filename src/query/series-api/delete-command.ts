import type { Runtime } from "../../runtime/runtime.js";
import { one, required, type Params } from "../http/params.js";
import { checkReadName, pickSchema } from "../resolve/resolve-stat.js";

/** `DELETE /series?stat=X[&schema=S]`: delete a stat from one schema, or from every schema it matches. */
export async function deleteCommand(params: Params, runtime: Runtime): Promise<{ stat: string; deleted: string[] }> {
  const stat = required(params, "stat");
  checkReadName(stat, runtime);
  const forced = one(params, "schema");
  const schemas = forced ? [pickSchema(runtime, [stat], forced)!] : runtime.matching(stat);
  for (const s of schemas) await s.series.delete(stat);
  return { stat, deleted: schemas.map((s) => s.compiled.name) };
}
