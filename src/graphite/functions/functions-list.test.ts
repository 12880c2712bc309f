/**
 * `/functions` parity with graphite-web 1.1.10 (fixture graphite-web-functions.json from
 * test/graphite-oracle/generate.py): every graphite-web function we declare has its group, signature text
 * and parameter list (name, type, required, default, multiple); the JSON is strict.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { functionInfo, functionNames, functionsJson, functionsObject } from "./index.js";

interface TheirParam {
  name: string;
  type: string;
  required?: boolean;
  default?: unknown;
  multiple?: boolean;
  options?: unknown[];
}
const theirs = JSON.parse(readFileSync(new URL("./fixtures/graphite-web-functions.json", import.meta.url), "utf8")) as {
  functions: Record<string, { function: string; group: string; params: TheirParam[] }>;
};

/** graphite-web functions deliberately not here, with the reason (reported as not done). */
const NOT_IMPLEMENTED: Record<string, string> = {
  events: "needs an event store",
};

const strip = (p: TheirParam) => {
  const out: Record<string, unknown> = { name: p.name, type: p.type };
  if (p.required) out.required = true;
  if (p.default !== undefined) out.default = p.default === "inf" ? Infinity : p.default;
  if (p.multiple) out.multiple = true;
  return out;
};

describe("the function list against graphite-web 1.1.10", () => {
  const ours = new Set(functionNames());
  it("declares every graphite-web function but the listed ones", () => {
    const missing = Object.keys(theirs.functions).filter((n) => !ours.has(n));
    expect(missing.sort()).toEqual(Object.keys(NOT_IMPLEMENTED).sort());
  });
  for (const [name, want] of Object.entries(theirs.functions)) {
    if (!ours.has(name)) continue;
    it(name, () => {
      const info = functionInfo(name)!;
      expect(info.group).toBe(want.group);
      expect(info.params.map((p) => strip(p as TheirParam))).toEqual(want.params.map(strip));
      expect(info.function).toBe(want.function);
    });
  }
});

describe("/functions JSON", () => {
  it("is strict JSON: no number in it is infinite or NaN, once parsed either", () => {
    const finite = (_k: string, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`non-finite number ${v} at "${_k}"`);
      return v;
    };
    for (const opts of [{}, { grouped: true }, { group: "Transform" }, { group: "Beyond Graphite" }]) {
      const text = functionsJson(functionsObject(opts));
      expect(text).not.toMatch(/Infinity|NaN|1e9999/);
      expect(() => JSON.stringify(JSON.parse(text), finite)).not.toThrow();
      expect(() => JSON.stringify(functionsObject(opts), finite)).not.toThrow();
    }
    const parsed = JSON.parse(functionsJson(functionsObject())) as Record<string, any>;
    // The infinite default is the text the signature shows, which the target parser reads back as infinity.
    expect(parsed.keepLastValue.params[1]).toEqual({ name: "limit", type: "intOrInf", default: "inf" });
    expect(parsed.keepLastValue.function).toBe("keepLastValue(seriesList, limit=inf)");
    expect(functionsJson({ a: [Infinity, -Infinity, NaN, 1] })).toBe('{"a":["inf","-inf","nan",1]}');
  });
  it("lists the functions over stored cells in their own group", () => {
    const beyond = functionsObject({ group: "Beyond Graphite" }) as Record<string, any>;
    expect(Object.keys(beyond).sort()).toEqual(["distinctCount", "histogramPercentile"]);
    expect(beyond.histogramPercentile.function).toBe("histogramPercentile(seriesList, n)");
    expect(beyond.distinctCount.module).toBe("torus.graphite.functions");
  });
  it("has graphite-web's entry shape", () => {
    const all = functionsObject() as Record<string, any>;
    for (const [name, info] of Object.entries(all)) {
      expect(Object.keys(info).sort()).toEqual(["description", "function", "group", "module", "name", "params"]);
      expect(info.name).toBe(name);
      expect(info.function.startsWith(`${name}(`)).toBe(true);
    }
  });
  it("groups and filters by group", () => {
    const grouped = functionsObject({ grouped: true }) as Record<string, Record<string, unknown>>;
    expect(Object.keys(grouped.Combine)).toContain("sumSeries");
    const combine = functionsObject({ group: "Combine" });
    expect(Object.keys(combine)).toContain("sumSeries");
    expect(Object.keys(combine)).not.toContain("scale");
  });
  it("an unknown name has no entry", () => {
    expect(functionInfo("noSuchFunction")).toBeUndefined();
  });
});
