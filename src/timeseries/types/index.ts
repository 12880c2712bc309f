import { ErrorCodes, TorusError, quote } from "../errors.js";
import { TYPE_NAMES, type TypeName } from "../cells.js";
import { countType } from "./count.js";
import { gaugeType } from "./gauge.js";
import { histogramType } from "./histogram.js";
import { seriesType } from "./series.js";
import { setType } from "./set.js";
import type { TypeDef } from "./type-def.js";

export { BUILTIN_TRANSFORMS, type BuiltinTransform, type RowShape, type RowSink, type TypeDef } from "./type-def.js";

const TYPES: Record<TypeName, TypeDef> = {
  count: countType,
  histogram: histogramType,
  series: seriesType,
  gauge: gaugeType,
  set: setType,
};

/** The type definition for a configured `type`; throws naming the field and value. */
export function typeDef(name: unknown, field = "type"): TypeDef {
  if (typeof name === "string" && (TYPE_NAMES as readonly string[]).includes(name)) return TYPES[name as TypeName];
  throw new TorusError(ErrorCodes.BAD_TYPE, `${field}: unknown type ${quote(name)} (use ${TYPE_NAMES.join(", ")})`, { field, value: name });
}
