import type { Runtime } from "../runtime/runtime.js";
import { one, type Params } from "./params.js";
import { pickSchema } from "./resolve-stat.js";

/** `GET /list[?schema=S]`: sorted stat names of one schema, or of every schema (each name once). */
export async function listCommand(params: Params, runtime: Runtime): Promise<string[]> {
  const forced = one(params, "schema");
  if (forced !== undefined && forced !== "") return (pickSchema(runtime, [""], forced) as NonNullable<ReturnType<typeof pickSchema>>).series.list();
  const names = new Set<string>();
  // Schemas sharing a store and prefix answer the same list; ask each (store, namespace) once.
  const asked = new Set<string>();
  for (const s of runtime.schemas) {
    const key = `${s.store.url}\u0000${s.series.ns.prefix}\u0000${s.series.ns.type}`;
    if (asked.has(key)) continue;
    asked.add(key);
    for (const n of await s.series.list()) names.add(n);
  }
  return [...names].sort();
}
