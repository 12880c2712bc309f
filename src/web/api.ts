/** The Graphite API the page reads, relative to the page's base (so URL_PREFIX works). */

export interface FindNode { text: string; id: string; leaf: 0 | 1; expandable: 0 | 1 }
export interface RenderSeries { target: string; datapoints: Array<[number | null, number]> }
export interface FunctionDef { name: string; group: string; description: string; params: Array<{ name: string; type: string; required?: boolean }> }

/** The server answered with an error: its message is shown next to the input. */
export class ServerError extends Error {}
/** The server could not be reached: the page shows a banner and retries. */
export class Unreachable extends Error {}

async function getJson<T>(path: string, params: URLSearchParams): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${path}?${params}`, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new Unreachable(`cannot reach the server (${(err as Error).message})`);
  }
  const text = await res.text();
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
