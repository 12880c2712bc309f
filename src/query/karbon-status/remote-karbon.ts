import type { KarbonStatusSource } from "./karbon-status.js";

/** How long the query server waits for karbon's metrics port (the page polls again anyway). */
const TIMEOUT_MS = 2000;

async function get(url: string): Promise<Response> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res;
}

/** karbon's metrics port at `base` (KARBON_METRICS_URL): `/metrics` and `/dead-letters`. */
export function remoteKarbon(base: string): KarbonStatusSource {
  const root = base.replace(/\/+$/, "");
  return {
    name: root,
    metrics: async () => (await get(`${root}/metrics`)).text(),
    deadLetters: async () => {
      const body = (await (await get(`${root}/dead-letters`)).json()) as { total?: unknown; names?: unknown };
      const names: Record<string, number> = {};
      if (body.names && typeof body.names === "object") for (const [k, v] of Object.entries(body.names)) if (typeof v === "number") names[k] = v;
      return { total: typeof body.total === "number" ? body.total : 0, names };
    },
  };
}
