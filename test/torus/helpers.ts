/** Helpers for the torus process tests: the shared process helpers, plus JSON over HTTP. */
export { ROOT, eventually, freePort, reapChildren, sendTcp, sleep, spawnCli, track, wrap, type Spawned as Proc } from "../helpers/processes.js";

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text and the like
  }
  return { status: res.status, body };
}
