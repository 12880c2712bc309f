import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Params } from "../http/params.js";
import { GraphiteParams } from "./graphite-params.js";

describe("GraphiteParams: the query string merged with the form body, as Django's GET.copy().update(POST)", () => {
  it("repeated parameters collect URL values then body values; a single one is the last value (the body's)", () => {
    const p = new GraphiteParams({ target: ["a", "b"], from: "-1h", format: "json" }, { target: "c", from: "-2h" });
    expect(p.all("target")).toEqual(["a", "b", "c"]);
    expect(p.get("from")).toBe("-2h");
    expect(p.get("format")).toBe("json");
    expect(p.has("noNullPoints")).toBe(false);
    expect(new GraphiteParams({ noNullPoints: "" }).has("noNullPoints")).toBe(true);
    expect(p.get("nothing")).toBeUndefined();
    expect(p.all("nothing")).toEqual([]);
  });

  it("for any two sources: all() is URL values then body values, get() the last of them", () => {
    const key = fc.constantFrom("target", "from", "until", "format", "__proto__", "x");
    const source = fc.dictionary(key, fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 })));
    fc.assert(
      fc.property(source, source, (url, body) => {
        const p = new GraphiteParams(url as Params, body as Params);
        const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
        for (const k of ["target", "from", "until", "format", "__proto__", "x"]) {
          const want = [...list(Object.hasOwn(url, k) ? url[k] : undefined), ...list(Object.hasOwn(body, k) ? body[k] : undefined)];
          expect(p.all(k)).toEqual(want);
          expect(p.get(k)).toBe(want.length ? want[want.length - 1] : undefined);
        }
      }),
    );
  });
});
