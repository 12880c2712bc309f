import type { Runtime } from "../../runtime/runtime.js";
import { one, required, type Params } from "../http/params.js";
import { checkReadName, pickSchema } from "../resolve/resolve-stat.js";
import { relayReadError } from "../resolve/store-wait.js";

/** `DELETE /series?stat=X[&schema=S]`: delete a stat from one schema, or from every schema it matches. */
export async function deleteCommand(params: Params, runtime: Runtime): Promise<{ stat: string; deleted: string[] }> {
  const stat = required(params, "stat");
  checkReadName(stat, runtime);
  const forced = one(params, "schema");
  const schemas = forced ? [pickSchema(runtime, [stat], forced)!] : runtime.matching(stat);
  // Checked before deleting anything: a relay among them refuses the whole request.
  const relay = schemas.find((s) => s.store.relayStats);
  if (relay) throw relayReadError(relay);
  for (const s of schemas) await s.series.delete(stat);
  return { stat, deleted: schemas.map((s) => s.compiled.name) };
}
