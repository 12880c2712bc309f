/** The Graphite API the page reads, relative to the page's base (so URL_PREFIX works). */
import type { KarbonStatus } from "../query/karbon-status/karbon-status-shape.js";

export type { KarbonStatus };

export interface FindNode { text: string; id: string; leaf: 0 | 1; expandable: 0 | 1 }
export interface RenderSeries { target: string; datapoints: Array<[number | null, number]> }
export interface FunctionDef { name: string; group: string; description: string; params: Array<{ name: string; type: string; required?: boolean }> }

/** The server answered with an error: its message is shown next to the input. */
export class ServerError extends Error {}
/** The server could not be reached: the page shows a banner and retries. */
export class Unreachable extends Error {}

/** Told of every answer, so the page can drop its "cannot reach" banner as soon as the server is back. */
let onAnswer: () => void = () => {};
export const whenAnswered = (f: () => void) => void (onAnswer = f);

async function getJson<T>(path: string, params: URLSearchParams): Promise<T> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${path}?${params}`, { headers: { accept: "application/json" } });
    text = await res.text();
  } catch (err) {
    throw new Unreachable(`cannot reach the server (${(err as Error).message})`);
  }
  if (res.status < 502) onAnswer();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: show the text
    }
    if (res.status >= 502) throw new Unreachable(`server answered ${res.status}: ${message}`);
    throw new ServerError(message);
  }
  return JSON.parse(text) as T;
}

export const find = (query: string) => getJson<FindNode[]>("metrics/find", new URLSearchParams({ query, format: "treejson" }));

export function render(targets: readonly string[], from: string, until: string, maxDataPoints: number): Promise<RenderSeries[]> {
  const p = new URLSearchParams({ format: "json", from, until, maxDataPoints: String(maxDataPoints) });
  for (const t of targets) p.append("target", t);
  return getJson<RenderSeries[]>("render", p);
}

export const functions = () => getJson<Record<string, FunctionDef>>("functions", new URLSearchParams());

/** A stat's stored data per bucket, from `/series` (at the server's root: it is not under URL_PREFIX). */
export function seriesData(stat: string, from: string, until: string): Promise<Array<{ datapoints: unknown }>> {
  const p = new URLSearchParams({ stat, start: from, format: "json" });
  if (until !== "now") p.set("end", until);
  return getJson<Array<{ datapoints: unknown }>>(`${location.origin}/series`, p);
}

/** Does the server answer at all (any status below 502)? For the banner's retries. */
export async function reachable(): Promise<boolean> {
  try {
    const res = await fetch("version", { cache: "no-store" });
    await res.arrayBuffer();
    return res.status < 502;
  } catch {
    return false;
  }
}

const withExprs = (p: URLSearchParams, exprs: readonly string[]) => (exprs.forEach((e) => p.append("expr", e)), p);

/** Tag names starting with `prefix`; with `exprs`, only tags of the series those match. */
export const tagNames = (prefix: string, exprs: readonly string[]) => getJson<string[]>("tags/autoComplete/tags", withExprs(new URLSearchParams({ tagPrefix: prefix, limit: "50" }), exprs));
/** A tag's values starting with `prefix`; with `exprs`, only values of the series those match. */
export const tagValues = (tag: string, prefix: string, exprs: readonly string[]) => getJson<string[]>("tags/autoComplete/values", withExprs(new URLSearchParams({ tag, valuePrefix: prefix, limit: "50" }), exprs));
/** The series a tag query matches (canonical names). */
export const findSeries = (exprs: readonly string[]) => getJson<string[]>("tags/findSeries", withExprs(new URLSearchParams(), exprs));

export const karbonStatus = () => getJson<KarbonStatus>("karbon/status", new URLSearchParams());
