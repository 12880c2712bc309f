import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { QueryErrorCodes } from "../query-error.js";
import type { TreeEntry } from "../graphite-api/find-format.js";
import { treeRows } from "./first-level.js";
import { type WebAsset, type WebAssets, loadWebAssets, makeAsset } from "./web-assets.js";

/** The routes of this plugin, for the 404 message (before any URL_PREFIX). */
export const WEB_UI_ROUTES = ["GET /", "GET /assets/<name>"] as const;

export interface WebUiOptions {
  /** URL_PREFIX: the page's base, so its relative requests reach the API under it. */
  base: string;
  /** The page's files (default: bundled from source, or read from dist/web). */
  assets?: () => Promise<WebAssets>;
  /** The tree's first level, written into the page; null (or none given): the page asks `/metrics/find` for it. */
  firstLevel?: () => TreeEntry[] | null;
}

// Without a first level in the page, it is asked for while the script loads (the page's fetch of the same URL takes this answer).
const PRELOAD = '<link rel="preload" href="metrics/find?query=*&amp;format=treejson" as="fetch" crossorigin>';

// The page runs only its own script; a stat name is data, never markup (the page also writes names as text).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; frame-ancestors 'none'";

/** br, then gzip, when the client takes them (`;q=0` refuses). */
export function pickEncoding(header: string | string[] | undefined): "br" | "gzip" | null {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  const accepted = new Set<string>();
  for (const part of text.split(",")) {
    const [token, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    accepted.add(token.trim());
  }
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return null;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: WebAsset, cacheControl: string) {
  reply.header("cache-control", cacheControl).header("etag", asset.etag).header("vary", "Accept-Encoding").header("x-content-type-options", "nosniff").type(asset.type);
  if (req.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  const encoding = pickEncoding(req.headers["accept-encoding"]);
  if (encoding === null) return reply.send(asset.body);
  return reply.header("content-encoding", encoding).send(encoding === "br" ? asset.br : asset.gzip);
}

/**
 * The web explorer (SPEC §12): `GET /` serves the page (its style written
 * into it), `GET /assets/...` its hashed script files. The assets are compressed once, when first
 * asked for, and immutable (their names change with their content); the
 * page, holding the tree's first level, is `no-cache` (revalidated by its
 * ETag) and compressed again only when that level changes.
 */
export const webUi: FastifyPluginAsync<WebUiOptions> = async (app, options) => {
  const load = options.assets ?? loadWebAssets;
  const firstLevel = options.firstLevel ?? (() => null);
  let ready: Promise<{ template: string; files: Map<string, WebAsset> }> | null = null;
  const assets = () =>
    (ready ??= load().then((a) => ({ template: a.index.replace("%BASE%", `${options.base}/`), files: a.files })).catch((err) => {
      ready = null; // a failed bundle is retried by the next request
      throw err;
    }));
  // The page holds the tree's first level, so it is made again when that changes (and only then): its ETag is its content's hash, so a browser's copy is revalidated against the level of now.
  let last: { rows: string | null; page: WebAsset } | null = null;
  const page = async (): Promise<WebAsset> => {
    const { template } = await assets();
    const entries = firstLevel();
    const rows = entries === null ? null : treeRows(entries);
    if (last === null || last.rows !== rows) {
      const html = template.replace("%PRELOAD%", rows === null ? PRELOAD : "").replace("%TREE%", () => rows ?? "");
      last = { rows, page: makeAsset("index.html", Buffer.from(html), "fast") };
    }
    return last.page;
  };
  app.get("/", { config: { command: "web" } }, async (req, reply) => {
    // Relative URLs in the page need the trailing slash: /graphite → /graphite/.
    const path = req.url.split("?")[0];
    if (!path.endsWith("/")) return reply.redirect(`${path}/${req.url.slice(path.length)}`, 301);
    return send(req, reply.header("content-security-policy", CSP), await page(), "no-cache");
  });
  app.get<{ Params: { name: string } }>("/assets/:name", { config: { command: "web" } }, async (req, reply) => {
    const asset = (await assets()).files.get(req.params.name);
    if (asset === undefined) return reply.code(404).type("application/json").send(JSON.stringify({ error: `no such asset ${JSON.stringify(req.params.name.slice(0, 120))}`, code: QueryErrorCodes.UNKNOWN_COMMAND }));
    return send(req, reply, asset, "public, max-age=31536000, immutable");
  });
};
