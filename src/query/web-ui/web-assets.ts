import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** One file of the page, with its compressed forms made once (never per request). */
export interface WebAsset {
  name: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  /** A strong validator: the content's hash. */
  etag: string;
}

/** The page: index.html (naming the hashed assets) and the assets by name. */
export interface WebAssets {
  index: string;
  files: Map<string, WebAsset>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** The page's sources (present in a checkout, not in the package). */
export const WEB_SOURCE = join(ROOT, "src", "web");
/** Where the build step writes the bundled page (shipped in the package). */
export const WEB_BUILT = join(ROOT, "dist", "web");

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml" };

export function typeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return TYPES[dot < 0 ? "" : name.slice(dot)] ?? "application/octet-stream";
}

/** An asset from its bytes: compressed at the strongest levels, since it is done once. */
export function makeAsset(name: string, body: Buffer): WebAsset {
  return {
    name,
    type: typeOf(name),
    body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
  };
}

/**
 * Bundle the page from src/web with esbuild (a devDependency: only a
 * checkout runs this, for the build step and for runs from source). The
 * script and style get content-hashed names, so they can be cached forever.
 */
export async function bundleWebAssets(source = WEB_SOURCE): Promise<WebAssets> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(source, "main.ts")],
    bundle: true,
    minify: true,
    // Modules split in files: uPlot (most of the bytes) is its own file, loaded when a chart is first drawn.
    format: "esm",
    splitting: true,
    target: ["es2022"],
    write: false,
    outdir: "out",
    entryNames: "app-[hash]",
    chunkNames: "chunk-[hash]",
    loader: { ".css": "css" },
    legalComments: "none",
    logLevel: "silent",
  });
  const files = new Map<string, WebAsset>();
  const names: Record<string, string> = {};
  // esbuild names the files by their content (chunks import each other by these names): the entry is app-<hash>.js.
  for (const out of result.outputFiles) {
    const name = basename(out.path);
    const ext = name.slice(name.lastIndexOf("."));
    if (name.startsWith("app-")) names[ext] = name;
    files.set(name, makeAsset(name, Buffer.from(out.contents)));
  }
  const template = readFileSync(join(source, "index.html"), "utf8");
  const index = template.replace("%SCRIPT%", `assets/${names[".js"]}`).replace("%STYLE%", `assets/${names[".css"]}`);
  return { index, files };
}

/** Write bundled assets into `dir` (the build step), with their precompressed forms beside them. */
export function writeWebAssets(assets: WebAssets, dir = WEB_BUILT): void {
  mkdirSync(join(dir, "assets"), { recursive: true });
  writeFileSync(join(dir, "index.html"), assets.index);
  for (const a of assets.files.values()) writeFileSync(join(dir, "assets", a.name), a.body);
}

/** Read what the build step wrote. */
export function readWebAssets(dir = WEB_BUILT): WebAssets {
  const index = readFileSync(join(dir, "index.html"), "utf8");
  const files = new Map<string, WebAsset>();
  for (const name of readdirSync(join(dir, "assets"))) files.set(name, makeAsset(name, readFileSync(join(dir, "assets", name))));
  return { index, files };
}

/**
 * The page for this process: run from source (tsx), it is bundled from
 * src/web now, so it is never stale; run from dist, it is what the build
 * step wrote to dist/web.
 */
export async function loadWebAssets(): Promise<WebAssets> {
  const fromSource = import.meta.url.endsWith(".ts");
  if (fromSource || !existsSync(join(WEB_BUILT, "index.html"))) {
    if (existsSync(join(WEB_SOURCE, "main.ts"))) return bundleWebAssets();
  }
  return readWebAssets();
}
