import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { pyRegex } from "../../graphite/functions/pyregex.js";
import { compileTagQuery } from "../../graphite/tags/tag-expression.js";
import { tagsOfCanonical } from "../../graphite/tags/tagged-name.js";
import { TorusError } from "../../timeseries/index.js";
import { badParameter } from "../query-error.js";
import type { GraphiteApiOptions } from "./graphite-data.js";
import { GraphiteParams } from "./graphite-params.js";
import { tagSearch, type TagSearch } from "./tag-search.js";

/** What these routes serve, for the 404 message (one short entry: the message stays one readable line). */
export const TAGS_API_ROUTES = ["GET /tags[/…]"] as const;

/** graphite-web's TAGDB_AUTOCOMPLETE_LIMIT. */
const AUTOCOMPLETE_LIMIT = 100;

/** graphite-web's read-only tag API (reference §1.7) over the tag index (in memory or stored: see tag-search.ts). */
export const tagsRoutes: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  const index = (): Promise<TagSearch> => tagSearch(deps);
  const params = (req: FastifyRequest) => GraphiteParams.of(req, deps.runtime().config.maxParams);
  const limitOf = (p: GraphiteParams, fallback: number) => {
    const raw = p.get("limit");
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw badParameter("limit", `expected a whole number >= 0, got ${JSON.stringify(raw)}`);
    return n;
  };
  const find = (idx: TagSearch, exprs: string[]) => {
    let query;
    try {
      query = compileTagQuery(exprs, "expr");
    } catch (err) {
      if (err instanceof TorusError) throw badParameter("expr", err.message);
      throw err;
    }
    return idx.find(query);
  };
  const exprsOf = (p: GraphiteParams) => (p.all("expr").length > 0 ? p.all("expr") : p.all("expr[]"));

  app.get("/tags", async (req) => {
    const p = params(req);
    const filter = p.get("filter");
    const re = filter ? safeRegex(filter, "filter") : null;
    const tags = (await (await index()).tags("", Infinity)).filter((t) => re === null || re.test(t));
    return tags.slice(0, limitOf(p, tags.length)).map((tag, i) => ({ id: i + 1, tag }));
  });

  app.get("/tags/findSeries", async (req) => find(await index(), exprsOf(params(req))));

  app.get("/tags/autoComplete/tags", async (req) => {
    const p = params(req);
    const prefix = p.get("tagPrefix") ?? "";
    const limit = limitOf(p, AUTOCOMPLETE_LIMIT);
    const idx = await index();
    const exprs = exprsOf(p);
    if (exprs.length === 0) return idx.tags(prefix, limit);
    const searched = new Set(exprs.map((e) => /^([^;!=]+)/.exec(e)?.[1]));
    const out = new Set<string>();
    for (const name of await find(idx, exprs)) for (const tag of Object.keys(tagsOfCanonical(name))) if (!searched.has(tag) && tag.startsWith(prefix)) out.add(tag);
    return [...out].sort().slice(0, limit);
  });

  app.get("/tags/autoComplete/values", async (req, reply) => {
    const p = params(req);
    const tag = p.get("tag");
    if (!tag) return reply.code(400).send({ error: "no tag specified" });
    const prefix = p.get("valuePrefix") ?? "";
    const limit = limitOf(p, AUTOCOMPLETE_LIMIT);
    const idx = await index();
    const exprs = exprsOf(p);
    if (exprs.length === 0) return idx.values(tag, prefix, limit);
    const out = new Set<string>();
    for (const name of await find(idx, [...exprs, `${tag}!=`])) {
      const v = tagsOfCanonical(name)[tag];
      if (v !== undefined && v.startsWith(prefix)) out.add(v);
    }
    return [...out].sort().slice(0, limit);
  });

  app.get<{ Params: { tag: string } }>("/tags/:tag", async (req) => {
    const values = await (await index()).counts(req.params.tag);
    if (values === null) return null;
    return { id: 1, tag: req.params.tag, values: values.map((v, i) => ({ id: i + 1, value: v.value, count: v.count })) };
  });
};

/** graphite-web's filter: a Python regex, searched (not anchored). */
function safeRegex(pattern: string, param: string): RegExp {
  try {
    return pyRegex(pattern, "tags", param);
  } catch (err) {
    if (err instanceof TorusError) throw badParameter(param, err.message);
    throw err;
  }
}
