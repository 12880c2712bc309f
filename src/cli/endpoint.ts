import { UsageError } from "./run-cli.js";

/** A listening address from `host:port`, `:port`, `port` or `[v6]:port`. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Parse a `--tcp`/`--udp`/`--metrics` value; throws a one-line error naming the flag. */
export function parseEndpoint(value: string, defaultHost: string, flag: string): Endpoint {
  // A bare port first: the host part below would otherwise swallow all but its last digit ("8080" → host "808", port 0).
  const m = /^\d+$/.test(value.trim()) ? [value, undefined, "", value.trim()] : /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim());
  const host = m ? (m[1] ?? m[2] ?? "") : "";
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 0 && port <= 65_535) || (!value.includes(":") && !/^\d+$/.test(value.trim()))) {
    throw new UsageError(`${flag}: cannot parse ${JSON.stringify(value)}; use host:port, :port or port`);
  }
  return { host: host || defaultHost, port };
}

export function formatEndpoint(e: { address?: string; host?: string; port: number }): string {
  const host = e.address ?? e.host ?? "";
  return host.includes(":") ? `[${host}]:${e.port}` : `${host}:${e.port}`;
}
