import { ErrorCodes, TorusError, quote } from "../../errors.js";
import { redactUrl } from "../url.js";

/** What a `redis://`, `rediss://` or `redis-cluster://` URL says. */
export interface RedisTarget {
  cluster: boolean;
  /** One node for a standalone server; the seed nodes of a cluster. */
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** Database number (standalone only). */
  db: number;
  tls: boolean;
}

const DEFAULT_PORT = 6379;

function bad(url: string, why: string): never {
  const safe = redactUrl(url);
  throw new TorusError(ErrorCodes.BAD_URL, `host: ${quote(safe)}: ${why}`, { field: "host", value: safe });
}

function node(url: string, text: string): { host: string; port: number } {
  // [v6::addr]:port, host:port or host alone.
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(text);
  if (!m) bad(url, `cannot read host:port from ${quote(text)}`);
  const port = m[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad(url, `port ${quote(m[3])} is not a TCP port`);
  return { host: m[1] ?? m[2], port };
}

/**
 * `redis://[[user]:password@]host[:port][/db]`, `rediss://...` (TLS) and
 * `redis-cluster://[[user]:password@]host:port[,host:port...]` (also
 * `rediss-cluster://` for TLS). Credentials may be percent-encoded.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^(redis|rediss|redis-cluster|rediss-cluster):\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:[?#].*)?$/i.exec(url);
  if (!m) bad(url, "use redis://[:password@]host:port[/db], rediss://... or redis-cluster://host:port[,host:port...]");
  const scheme = m[1].toLowerCase();
  const cluster = scheme.endsWith("-cluster");
  const target: RedisTarget = { cluster, nodes: [], db: 0, tls: scheme.startsWith("rediss") };
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(":");
    const user = decodeURIComponent(colon === -1 ? m[2] : m[2].slice(0, colon));
    const password = colon === -1 ? undefined : decodeURIComponent(m[2].slice(colon + 1));
    // `redis://secret@host` is how redis-cli and ioredis read a lone password.
    if (password === undefined) {
      if (user !== "") target.password = user;
    } else {
      if (user !== "") target.username = user;
      target.password = password;
    }
  }
  const hosts = m[3] === "" ? ["127.0.0.1"] : m[3].split(",");
  if (!cluster && hosts.length > 1) bad(url, "several hosts need redis-cluster://");
  target.nodes = hosts.map((h) => node(url, h.trim()));
  const path = m[4] ?? "";
  if (path !== "") {
    if (cluster) bad(url, "Redis Cluster has no database numbers; drop the /path");
    if (!/^\d+$/.test(path)) bad(url, `database ${quote(path)} is not a number`);
    target.db = Number(path);
  }
  return target;
}
