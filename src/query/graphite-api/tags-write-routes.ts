/**
 * graphite-web's tag write API (`tags/views.py`): `tagSeries`,
 * `tagMultiSeries`, `delSeries`, POST only and behind the write guard
 * (WRITE_TOKEN, origins) as `/insert` is.
 *
 * Torus indexes a tagged series when its first point is stored (in the same
 * flush: see `Store.findTagged`), so `tagSeries` has nothing to enter: it
 * validates the path as graphite-web does and answers its canonical form,
 * which is the name a point sent under that path is stored and found by.
 * `delSeries` deletes the series' data in every schema it matches, which
 * takes it out of every tag index, and answers `true`.
 *
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { TaggedNameError, canonicalTaggedName } from "../../graphite/tags/tagged-name.js";
import { writeGuard } from "../http/write-guard.js";
import { badParameter } from "../query-error.js";
import { checkReadName } from "../resolve/resolve-stat.js";
import { relayReadError } from "../resolve/store-wait.js";
import type { GraphiteApiOptions } from "./graphite-data.js";
import { GraphiteParams } from "./graphite-params.js";

/** For the 404 message: one short entry. */
export const TAGS_WRITE_ROUTES = ["POST /tags/{tagSeries,tagMultiSeries,delSeries}"] as const;

/** Most paths one tagMultiSeries or delSeries request may name (each is validated, delSeries deletes each). */
const MAX_PATHS = 10_000;

export const tagsWriteRoutes: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  const guard = writeGuard(deps.runtime);
  const params = (req: FastifyRequest) => GraphiteParams.of(req, deps.runtime().config.maxParams);

  /** graphite-web's canonical form, or a 400 quoting graphite-web's own message. */
  const canonical = (path: string): string => {
    try {
      const name = canonicalTaggedName(path);
      checkReadName(name, deps.runtime(), "path");
      return name;
    } catch (err) {
      if (err instanceof TaggedNameError) throw badParameter("path", err.message);
      throw err;
    }
  };
  /** `path` repeated, else `path[]` (jQuery's form), as graphite-web reads them. */
  const pathsOf = (p: GraphiteParams): string[] => {
    const paths = p.all("path").length > 0 ? p.all("path") : p.all("path[]");
    if (paths.length > MAX_PATHS) throw badParameter("path", `${paths.length} paths in one request, more than ${MAX_PATHS}; send them in several`);
    return paths;
  };

  app.post("/tags/tagSeries", { onRequest: guard }, async (req, reply) => {
    const path = params(req).get("path");
    if (!path) return reply.code(400).send({ error: "no path specified" });
    return JSON.stringify(canonical(path));
  });

  app.post("/tags/tagMultiSeries", { onRequest: guard }, async (req, reply) => {
    const paths = pathsOf(params(req));
    if (paths.length === 0) return reply.code(400).send({ error: "no paths specified" });
    return paths.map(canonical);
  });

  app.post("/tags/delSeries", { onRequest: guard }, async (req, reply) => {
    const paths = pathsOf(params(req));
    if (paths.length === 0) return reply.code(400).send({ error: "no path specified" });
    // Every path is checked, and every relay refused, before anything is deleted.
    const names = [...new Set(paths.map(canonical))];
    const runtime = deps.runtime();
    const targets = names.map((name) => ({ name, schemas: runtime.matching(name) }));
    const relay = targets.flatMap((t) => t.schemas).find((s) => s.store.relayStats);
    if (relay) throw relayReadError(relay);
    for (const { name, schemas } of targets) for (const s of schemas) await s.series.delete(name);
    // This process answers without them at once; other processes' listings catch up on their own.
    const tagged = deps.names.index().tagged;
    for (const name of names) tagged.forget(name);
    deps.points.clear?.();
    return true;
  });

  // graphite-web answers 405 to anything but POST here; without these, GET would read as `/tags/<tag>`.
  const postOnly = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(405).header("allow", "POST").send({ error: "POST only" });
  for (const path of ["/tags/tagSeries", "/tags/tagMultiSeries", "/tags/delSeries"]) app.get(path, postOnly);
};
