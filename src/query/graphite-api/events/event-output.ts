import type { StoredEvent } from "../../../timeseries/index.js";

/**
 * The events of `get_data` that match `tags` as graphite-web matches them:
 * no `tags` parameter keeps every event; otherwise the parameter is split
 * on single spaces and `set=union` keeps events with any of the tags, any
 * other `set` (none, `intersection`) events with all of them. Empty words
 * match nothing, so `tags=` alone keeps none.
 */
export function matchTags(events: readonly StoredEvent[], tags: string | undefined, set: string | undefined): StoredEvent[] {
  if (tags === undefined) return [...events];
  const wanted = [...new Set(tags.split(" ").filter((t) => t !== ""))];
  if (wanted.length === 0) return [];
  if (set === "union") return events.filter((e) => wanted.some((t) => e.tags.includes(t)));
  return events.filter((e) => wanted.every((t) => e.tags.includes(t)));
}

/** One event as `get_data` answers it, in graphite-web's key order; `when` in whole seconds, as graphite-web's `epoch()`. */
export function eventJson(e: StoredEvent): { when: number; what: string; data: string; tags: string[]; id: number } {
  return { when: Math.floor(e.when), what: e.what, data: e.data, tags: [...e.tags], id: e.id };
}

/**
 * One event as graphite-web's `GET /events/<id>` answers it in JSON (Django's
 * `model_to_dict` through `DjangoJSONEncoder`): `when` as an ISO 8601 UTC
 * date, milliseconds only when there is a fraction.
 */
export function eventDetailJson(e: StoredEvent): { id: number; when: string; what: string; data: string; tags: string[] } {
  return { id: e.id, when: isoDate(e.when), what: e.what, data: e.data, tags: [...e.tags] };
}

function isoDate(seconds: number): string {
  // Django keeps microseconds and prints the first three digits: truncate, never round up into the next second.
  const ms = Math.floor(Math.round(seconds * 1e6) / 1000);
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, "Z") : iso;
}
