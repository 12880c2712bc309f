import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Runtime } from "../../runtime/runtime.js";
import type { SeriesCache } from "../cache/series-cache.js";
import { bodyParams } from "../http/form-body.js";
import type { Params } from "../http/params.js";
import { writeGuard } from "../http/write-guard.js";
import type { PointWriter } from "../point-writer.js";
import type { TimeContext } from "../../time/time-parse.js";
import { deleteCommand } from "./delete-command.js";
import { insertCommand } from "./insert-command.js";
import { listCommand } from "./list-command.js";
import { propertiesCommand } from "./properties-command.js";
import { seriesCommand } from "./series-command.js";

export interface SeriesApiOptions {
  /** The live runtime (a reload swaps it; every request reads the current one). */
  runtime: () => Runtime;
  /** The write path for `/insert`; null: `/insert` answers 404. */
  writer: PointWriter | null;
  /** `/series` responses kept by resolved request; null: every request reads the stores. */
  cache: SeriesCache | null;
  /** Current Unix time in seconds. */
  clock: () => number;
}

/** What this API serves, for the 404 message. */
export const SERIES_API_ROUTES = ["GET /series", "DELETE /series", "GET /list", "GET /properties", "POST /insert"] as const;

/**
 * The `/series` family (SPEC §5): `/series` (and its former name `/data`),
 * `DELETE /series`, `/list`, `/properties`, `/insert`. Writes pass the
 * shared write guard before their body is read.
 */
export const seriesApi: FastifyPluginAsync<SeriesApiOptions> = async (app, deps) => {
  const time = (runtime: Runtime): TimeContext => ({ now: deps.clock(), timezone: runtime.config.timezone });
  const guardWrite = writeGuard(deps.runtime);
  const query = (req: FastifyRequest) => req.query as Params;

  const seriesHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const runtime = deps.runtime();
    const body = await seriesCommand(query(req), { runtime, time: time(runtime), cache: deps.cache });
    return reply.type("application/json; charset=utf-8").send(body);
  };
  app.get("/series", { config: { command: "series" } }, seriesHandler);
  // The seed's former name for /series.
  app.get("/data", { config: { command: "series" } }, seriesHandler);
  app.delete("/series", { onRequest: guardWrite, config: { command: "delete" } }, async (req) => deleteCommand(query(req), deps.runtime()));
  app.get("/list", { config: { command: "list" } }, async (req) => listCommand(query(req), deps.runtime()));
  app.get("/properties", { config: { command: "properties" } }, async (req) => propertiesCommand(query(req), deps.runtime()));
  const insert = async (req: FastifyRequest) => {
    const runtime = deps.runtime();
    const params: Params = { ...query(req), ...bodyParams(req.body, runtime.config.maxParams) };
    return insertCommand(params, runtime, deps.writer, time(runtime));
  };
  app.get("/insert", { onRequest: guardWrite, config: { command: "insert" } }, insert);
  app.post("/insert", { onRequest: guardWrite, config: { command: "insert" } }, insert);
};
