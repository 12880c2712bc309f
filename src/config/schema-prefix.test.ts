import { describe, expect, it } from "vitest";
import { compileConfig } from "./compile-config.js";

const intervals = { minute: { step: 60 } };

describe("SchemaSpec prefix", () => {
  it.each([
    ["no prefix: the schema's name", {}, "timers"],
    ["an explicit prefix as given", { prefix: "shared" }, "shared"],
    ["the empty prefix (data written before the default)", { prefix: "" }, ""],
  ])("%s", (_what, extra, want) => {
    const config = compileConfig({ SCHEMAS: { timers: { match: "x", intervals, ...extra } } });
    expect(config.schemas[0].options.prefix).toBe(want);
  });

  it("is checked to be text", () => {
    expect(() => compileConfig({ SCHEMAS: { timers: { match: "x", intervals, prefix: 5 } } })).toThrow(/schema "timers": prefix/);
  });
});
