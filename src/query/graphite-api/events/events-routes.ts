import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { parseGraphiteTime } from "../../../graphite/graphite-time.js";
import { TorusError, type EventLog } from "../../../timeseries/index.js";
import type { Params } from "../../http/params.js";
import { writeGuard } from "../../http/write-guard.js";
import { QueryError, QueryErrorCodes, badParameter } from "../../query-error.js";
import { jsonpOf } from "../find-routes.js";
import type { GraphiteApiOptions } from "../graphite-data.js";
import { GraphiteParams } from "../graphite-params.js";
import { parseEventBody } from "./event-input.js";
import { eventDetailJson, eventJson, matchTags } from "./event-output.js";

/** What these routes serve, for the 404 message (one short entry: the message stays one readable line). */
export const EVENTS_API_ROUTES = ["GET|POST|DELETE /events[/…]"] as const;

/** The event log's prefix in the EVENTS store: its SQL table is `graphite_events`, its Redis keys start `graphite_:events:`. */
export const EVENTS_PREFIX = "graphite_";

/** Largest `POST /events/` body: the query app's own body limit. */
export const EVENT_BODY_LIMIT = 1 << 20;

/**
 * graphite-web's events (Grafana's "Graphite events" annotations):
 * `POST /events/` stores one (behind the write guard), `GET
 * /events/get_data` reads a time range filtered by tags, `GET
 * /events/<id>` reads one and `DELETE /events/<id>` removes one (a Torus
 * addition: graphite-web deletes through its admin pages). The events live
 * in the EVENTS store's event log.
 */
export const eventsRoutes: FastifyPluginAsync<GraphiteApiOptions> = async (app, deps) => {
  const guard = writeGuard(deps.runtime);
  // graphite-web reads the raw body as JSON whatever its type (curl -d sends a form type): these routes parse nothing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: EVENT_BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler(async (err) => {
    if ((err as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      throw new QueryError(413, QueryErrorCodes.BODY_TOO_LARGE, `the body is over ${EVENT_BODY_LIMIT} bytes, the most one event may take (keep "data" short: a link rather than a log)`);
    }
    throw err; // the app's handler answers
  });

  const log = async (): Promise<EventLog> => {
    const found = await deps.runtime().events?.log();
    if (!found) throw new QueryError(404, QueryErrorCodes.NO_EVENTS, "events are off: no configured store keeps them (set EVENTS to a sqlite, redis, redis-cluster, postgresql or mysql URL)");
    return found;
  };
  // The query string only, as graphite-web's fetch reads it: a body given to a GET is no parameters.
  const params = (req: FastifyRequest) => new GraphiteParams(req.query as Params);
  const config = { command: "events" as const };

  const post = async (req: FastifyRequest, reply: FastifyReply) => {
    const event = parseEventBody(req.body as Buffer | undefined, deps.clock());
    const id = await (await log()).add(EVENTS_PREFIX, event);
    return reply.type("application/json").send({ id });
  };
  for (const url of ["/events/", "/events"]) app.post(url, { onRequest: guard, config }, post);

  const getData = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    const jsonp = jsonpOf(p);
    const { from, until } = timeRange(p, deps);
    const events = from > until ? [] : await (await log()).range(EVENTS_PREFIX, from, until);
    const body = JSON.stringify(matchTags(events, p.get("tags"), p.get("set")).map(eventJson));
    if (jsonp !== null) return reply.type("text/javascript").send(`${jsonp}(${body})`);
    return reply.type("application/json").send(body);
  };
  // graphite-web's pattern is `get_data?`: the final `a` is optional.
  for (const url of ["/events/get_data", "/events/get_dat"]) app.get(url, { config }, getData);

  const detail = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const id = idOf(req.params.id);
    const event = await (await log()).get(EVENTS_PREFIX, id);
    if (event === null) throw unknownEvent(id);
    return eventDetailJson(event);
  };
  const remove = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const id = idOf(req.params.id);
    if (!(await (await log()).delete(EVENTS_PREFIX, id))) throw unknownEvent(id);
    return { id, deleted: true };
  };
  for (const url of ["/events/:id", "/events/:id/"]) {
    app.get<{ Params: { id: string } }>(url, { config }, detail);
    app.delete<{ Params: { id: string } }>(url, { onRequest: guard, config }, remove);
  }
};

/** `from` (default the epoch) and `until` (default now) as graphite-web's events read them: Graphite time formats, no swap. */
function timeRange(p: GraphiteParams, deps: GraphiteApiOptions): { from: number; until: number } {
  const now = deps.clock();
  const ctx = { now, tz: deps.runtime().config.timezone };
  try {
    const from = p.get("from");
    const until = p.get("until");
    return { from: from === undefined ? 0 : parseGraphiteTime(from, ctx, "from"), until: until === undefined ? now : parseGraphiteTime(until, ctx, "until") };
  } catch (err) {
    if (err instanceof TorusError) throw new QueryError(400, QueryErrorCodes.BAD_TIME, err.message, err.field);
    throw err;
  }
}

function idOf(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw badParameter("id", `an event id is a whole number, got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw)}`);
  return Number(raw);
}

const unknownEvent = (id: number) => new QueryError(404, QueryErrorCodes.UNKNOWN_EVENT, `no event with id ${id} (it was never stored, or was deleted)`);
