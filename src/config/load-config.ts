import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";
import { ConfigError, ConfigErrorCodes } from "./config-error.js";
import { compileConfig, type Config } from "./compile-config.js";

const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;

/**
 * The package entry a configuration imports as "torus" (defineConfig,
 * long_or_float): the built file when running from dist/, the source when
 * running from src/. Aliased so a config anywhere on disk finds it.
 */
function packageEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of ["../index.js", "../index.ts"]) {
    const path = resolve(here, candidate);
    if (existsSync(path)) return path;
  }
  return resolve(here, "../index.js");
}

/** Exports that merge by key across files; every other export is replaced by the later file's. */
const MERGED = new Set(["SCHEMAS", "TRANSFORMS", "MACROS"]);

async function importFile(path: string): Promise<Record<string, unknown>> {
  if (!EXTENSIONS.test(path)) {
    throw new ConfigError(ConfigErrorCodes.LOAD, `config ${JSON.stringify(path)}: expected a .ts, .mts, .js, .mjs or .cjs module`, { field: "config", value: path });
  }
  if (!existsSync(path)) {
    throw new ConfigError(ConfigErrorCodes.LOAD, `config ${JSON.stringify(path)}: no such file`, { field: "config", value: path });
  }
  // A fresh loader with no module cache on every load: SIGHUP must see edited files.
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, tryNative: false, interopDefault: false, alias: { torus: packageEntry() } });
  let mod: Record<string, unknown>;
  try {
    // Evaluated from source, never through Node's own module cache, which would keep the first version forever.
    const source = readFileSync(path, "utf8");
    mod = (await jiti.evalModule(source, { filename: path, ext: extname(path), async: true, forceTranspile: true })) as Record<string, unknown>;
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split("\n")[0];
    throw new ConfigError(ConfigErrorCodes.LOAD, `config ${JSON.stringify(path)}: cannot load: ${first}`, { field: "config", value: path, cause: err });
  }
  // Seed style (named exports) and `export default defineConfig({...})` both work; named exports win.
  const def = mod.default;
  const named = Object.fromEntries(Object.entries(mod).filter(([k]) => k !== "default" && k !== "__esModule"));
  return def && typeof def === "object" && !Array.isArray(def) ? { ...(def as Record<string, unknown>), ...named } : named;
}

/** Merge exports in file order: SCHEMAS, TRANSFORMS and MACROS by key, AGGREGATES appended, the rest replaced. */
export function mergeExports(modules: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const mod of modules) {
    for (const [key, value] of Object.entries(mod)) {
      if (MERGED.has(key) && value && typeof value === "object" && out[key] && typeof out[key] === "object") {
        out[key] = { ...(out[key] as object), ...(value as object) };
      } else if (key === "AGGREGATES" && Array.isArray(value) && Array.isArray(out[key])) {
        out[key] = [...(out[key] as unknown[]), ...value];
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

/** Load, merge and check configuration files (in order). Throws ConfigError naming the file or schema at fault. */
export async function loadConfig(files: readonly string[], cwd = process.cwd()): Promise<Config> {
  const paths = files.map((f) => resolve(cwd, f));
  const modules = [];
  for (const path of paths) modules.push(await importFile(path));
  const hooks = {
    onLoad: modules.map((m) => m.on_load).filter((f): f is () => unknown => typeof f === "function"),
    onReload: modules.map((m) => m.on_reload).filter((f): f is () => unknown => typeof f === "function"),
  };
  try {
    return compileConfig(mergeExports(modules), paths, hooks);
  } catch (err) {
    if (err instanceof ConfigError && paths.length > 0) {
      (err as { message: string }).message = `${paths.length === 1 ? paths[0] : paths.join(", ")}: ${err.message}`;
    }
    throw err;
  }
}
