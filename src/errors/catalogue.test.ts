import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigErrorCodes } from "../config/config-error.js";
import { GraphiteTimeErrorCodes } from "../graphite/graphite-time.js";
import { PATH_PATTERN_ERROR_CODE } from "../graphite/path-glob.js";
import { TargetErrorCodes } from "../graphite/target-parser.js";
import { QueryError, QueryErrorCodes } from "../query/query-error.js";
import { ErrorCodes, TorusError } from "../timeseries/errors.js";
import { ERROR_CATALOGUE, ERROR_CODES } from "./catalogue.js";
import { renderErrorsDoc } from "./errors-doc.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DOC = readFileSync(join(ROOT, "docs", "errors.md"), "utf8");

/** Every TypeScript file under src/ that ships (tests and test support aside). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.ts$/.test(e.name) && !/\.(test|case)\.ts$/.test(e.name) ? [path] : [];
  });
}

describe("error catalogue", () => {
  it("docs/errors.md is the table rendered (regenerate it with the command at its top)", () => {
    expect(DOC).toBe(renderErrorsDoc());
  });

  it("lists every code of the table in docs/errors.md, and no other", () => {
    for (const code of ERROR_CODES) expect(DOC, code).toContain(`| \`${code}\` |`);
    const documented = new Set(DOC.match(/TORUS_ERR_[A-Z0-9_]+/g));
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
  });

  it("holds every code the source names, so a new code cannot skip the table", () => {
    const named = new Map<string, string>();
    for (const file of sources(join(ROOT, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/"(TORUS_ERR_[A-Z0-9_]+)"/g)) named.set(m[1], file);
    }
    expect(named.size).toBeGreaterThan(40);
    for (const [code, file] of named) expect(Object.hasOwn(ERROR_CATALOGUE, code), `${code} (${file})`).toBe(true);
  });

  it("gives each code a meaning and a fix, and each area's named codes are rows of it", () => {
    for (const code of ERROR_CODES) {
      expect(ERROR_CATALOGUE[code].meaning.length, code).toBeGreaterThan(10);
      expect(ERROR_CATALOGUE[code].fix.length, code).toBeGreaterThan(5);
    }
    const named = [ErrorCodes, ConfigErrorCodes, QueryErrorCodes, TargetErrorCodes, GraphiteTimeErrorCodes, { PATH_PATTERN_ERROR_CODE }].flatMap((m) => Object.values(m));
    for (const code of named) expect(ERROR_CODES).toContain(code);
  });

  it("makes a QueryError a TorusError with its status, code and field", () => {
    const err = new QueryError(400, QueryErrorCodes.BAD_PARAMETER, "steps: bad", "steps");
    expect(err).toBeInstanceOf(TorusError);
    expect(err).toMatchObject({ name: "QueryError", status: 400, code: "TORUS_ERR_QUERY_BAD_PARAMETER", field: "steps", message: "steps: bad" });
  });
});
