/** Short builders for parameter declarations, so each function's declaration reads like its signature. */
import type { ParamDef } from "./registry.js";
import { AGG_FUNC_NAMES } from "./agg.js";

export const seriesList: ParamDef = { name: "seriesList", type: "seriesList", required: true };
export const seriesLists: ParamDef = { name: "seriesLists", type: "seriesList", required: true, multiple: true };

export function req(name: string, type: ParamDef["type"], extra: Partial<ParamDef> = {}): ParamDef {
  return { name, type, required: true, ...extra };
}

export function opt(name: string, type: ParamDef["type"], def: ParamDef["default"], extra: Partial<ParamDef> = {}): ParamDef {
  return def === undefined ? { name, type, ...extra } : { name, type, default: def, ...extra };
}

export function aggFunc(name: string, def?: string, required = def === undefined): ParamDef {
  const p: ParamDef = { name, type: "aggFunc", options: AGG_FUNC_NAMES };
  if (required) p.required = true;
  if (def !== undefined) p.default = def;
  return p;
}

export const xFilesFactor: ParamDef = { name: "xFilesFactor", type: "float" };
