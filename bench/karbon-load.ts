/** What the karbon benchmarks share: numeric flags, a scrape of karbon's `/metrics`, and a TCP sender, and the count total a run left stored. */
import { connect } from "node:net";
import { loadConfig } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";

/** `--<name> N` from the command line, or `dflt`. */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** karbon's `/metrics`, each metric summed over its labels. */
export async function scrapeMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    out[name] = (out[name] ?? 0) + Number(line.split(" ").pop());
  }
  return out;
}

/** Send one payload on its own connection and close it; resolves once the socket closes. */
export function sendPayload(port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.end(payload));
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

/** What the count schema `c` of a config holds after a run: its names, and the sum of their last two hours. */
export async function storedCountTotal(configPath: string, now: number): Promise<{ names: string[]; total: number }> {
  const registry = new StoreRegistry();
  try {
    const rt = await buildRuntime(await loadConfig([configPath]), registry);
    const ts = rt.schema("c")!.series;
    const names = await ts.list();
    const total = [...(await ts.series(names, "minute", { start: now - 7200, end: now + 60, collapse: true })).values()][0] as number;
    return { names, total };
  } finally {
    await registry.closeAll();
  }
}
