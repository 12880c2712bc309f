import { homedir } from "node:os";
import { dirname, resolve, sep } from "node:path";
import type { Config } from "../config/index.js";
import type { Logger } from "../logging/logger.js";
import { sqlitePath } from "../timeseries/backends/sqlite/sqlite-url.js";
import { redactUrl } from "../timeseries/index.js";

/** A listener as the user asked for it (host) and as it is bound (port: `:0` resolved). */
export interface Listener {
  host: string;
  port: number;
}

export interface Listeners {
  http?: Listener | null;
  carbonTcp?: Listener | null;
  carbonUdp?: Listener | null;
  /** Carbon pickle (TCP). */
  carbonPickle?: Listener | null;
  metrics?: Listener | null;
  /** Where the data lives (see {@link dataLocations}). */
  data?: readonly string[];
}

const hostPort = (l: Listener) => (l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`);

/**
 * The start line a person reads on a terminal:
 * `torus: queries on http://localhost:8080, Carbon on localhost:2003, data in ~/.local/share/torus`.
 */
export function describeListeners(name: string, l: Listeners): string {
  const parts: string[] = [];
  if (l.http) parts.push(`queries on http://${hostPort(l.http)}`);
  if (l.carbonTcp && l.carbonUdp) parts.push(`Carbon on ${hostPort(l.carbonTcp)} (TCP) and ${hostPort(l.carbonUdp)} (UDP)`);
  else if (l.carbonTcp) parts.push(`Carbon on ${hostPort(l.carbonTcp)}`);
  else if (l.carbonUdp) parts.push(`Carbon on ${hostPort(l.carbonUdp)} (UDP)`);
  if (l.carbonPickle) parts.push(`Carbon pickle on ${hostPort(l.carbonPickle)}`);
  if (l.metrics) parts.push(`metrics on http://${hostPort(l.metrics)}/metrics`);
  if (l.data && l.data.length > 0) parts.push(`data in ${l.data.join(", ")}`);
  return `${name}: ${parts.join(", ")}`;
}

/** The folders of the SQLite files (`~` for the home directory) and the other stores' URLs without passwords, each once. */
export function dataLocations(config: Config, home = homedir()): string[] {
  const out = new Set<string>();
  for (const s of config.schemas) {
    if (/^sqlite:/i.test(s.host)) {
      const path = sqlitePath(s.host);
      if (path === ":memory:") out.add("memory (not kept)");
      else {
        const dir = dirname(resolve(path));
        out.add(dir === home ? "~" : dir.startsWith(home + sep) ? `~${dir.slice(home.length)}` : dir);
      }
    } else out.add(redactUrl(s.host));
  }
  return [...out];
}

/**
 * Announce that a server listens: on a terminal, the plain line above
 * (everything else stays JSON); otherwise the JSON log line, as log
 * collectors expect.
 */
export function announce(logger: Logger, msg: string, fields: Record<string, unknown>, line: string, stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr): void {
  if (stream.isTTY) stream.write(`${line}\n`);
  else logger.info(fields, msg);
}
