import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderFunctionsDoc } from "./functions-doc.js";
import { functionInfo, functionNames } from "./index.js";

const DOC = readFileSync(new URL("../../../docs/functions.md", import.meta.url), "utf8");

describe("docs/functions.md", () => {
  it("is the registry rendered (regenerate it with the command at its top)", () => {
    expect(DOC).toBe(renderFunctionsDoc());
  });
  it("has one row per declared name, with its signature, under its group", () => {
    const rows = DOC.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.length).toBe(functionNames().length);
    for (const name of functionNames()) {
      const info = functionInfo(name)!;
      const row = rows.find((r) => r.startsWith(`| \`${name}\` |`));
      expect(row, name).toContain(`\`${info.function}\``);
      const section = DOC.lastIndexOf("\n## ", DOC.indexOf(row!));
      expect(DOC.slice(section + 4, DOC.indexOf("\n", section + 1))).toBe(info.group);
    }
  });
});
