import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { StoreError } from "../../errors.js";
import { redactUrl } from "../url.js";
import { parseRedisUrl, type RedisTarget } from "./redis-url.js";

/** Either client: both speak the same commands, so the store is written once against this. */
export type RedisClient = Redis | Cluster;

/** Reply codes that a retry may well get past: failover, loading, memory pressure, busy scripts. */
const RETRYABLE_REPLY = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|BUSY|MASTERDOWN|READONLY|OOM|NOREPLICAS|NOSCRIPT)\b/;
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b|without any password configured|no password is set/i;

/** A reply the server sent (as opposed to a network or client-side failure). */
function isReply(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

/** Whether retrying the same request later could succeed. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof StoreError) return err.retryable;
  if (!isReply(err)) return true; // connection refused/closed, timeouts, all cluster nodes down
  return RETRYABLE_REPLY.test(err.message);
}

/** One line, password scrubbed: driver messages go into logs verbatim. */
export function oneLine(err: unknown, password: string | undefined): string {
  let text = err instanceof Error ? err.message || err.name : String(err);
  if (password && password.length > 0) text = text.split(password).join("***");
  return text.replace(/\s+/g, " ").trim();
}

/** Defaults that keep a dead server from hanging a caller or queueing writes without bound. */
const DEFAULTS = {
  connectTimeout: 5_000,
  commandTimeout: 10_000,
  maxRetriesPerRequest: 1,
  // Commands fail at once while disconnected instead of piling up in memory;
  // the ingest path keeps its batch and retries on the retryable StoreError.
  enableOfflineQueue: false,
  // A script in flight when the connection drops may have run: never resend it behind the caller's back.
  autoResendUnfulfilledCommands: false,
  // Concurrent calls of one tick share a pipeline per node (one per server standalone).
  enableAutoPipelining: true,
} as const;

function redisOptions(target: RedisTarget): RedisOptions {
  const o: RedisOptions = { ...DEFAULTS, retryStrategy: (times) => Math.min(times * 200, 2_000) };
  if (target.username !== undefined) o.username = target.username;
  if (target.password !== undefined) o.password = target.password;
  if (target.tls) o.tls = {};
  return o;
}

function withoutRetry(o: RedisOptions): RedisOptions {
  const { retryStrategy: _ignored, ...rest } = o;
  return rest;
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Connect and prove the connection works (a PING, and AUTH when a password
 * was given: ioredis only warns when a server without a password is sent
 * one, which usually means the URL names the wrong server). Throws a
 * one-line StoreError naming the redacted URL; never waits longer than
 * the connect timeout and one command timeout.
 *
 * `clientConfig` goes to ioredis: RedisOptions for `redis://`, ClusterOptions
 * for `redis-cluster://` (its `redisOptions` are merged over ours for every node).
 */
export async function connectRedis(url: string, clientConfig: Record<string, unknown> = {}): Promise<RedisClient> {
  const safe = redactUrl(url);
  const target = parseRedisUrl(url);
  const base = redisOptions(target);
  let client: RedisClient;
  let wait: number;
  if (target.cluster) {
    const { redisOptions: nodeConfig, ...clusterConfig } = clientConfig as ClusterOptions;
    const options: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      scaleReads: "master",
      slotsRefreshTimeout: 2_000,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
      ...clusterConfig,
      // ioredis gives every node connection its own reconnect policy (none: a
      // lost node is found again through MOVED and a slots refresh).
      redisOptions: { ...withoutRetry(base), ...nodeConfig },
    };
    wait = Number(options.redisOptions?.connectTimeout ?? DEFAULTS.connectTimeout) + Number(options.slotsRefreshTimeout ?? 2_000);
    client = new Cluster(target.nodes, options);
  } else {
    const options: RedisOptions = { ...base, ...target.nodes[0], db: target.db, lazyConnect: true, ...(clientConfig as RedisOptions) };
    wait = Number(options.connectTimeout ?? DEFAULTS.connectTimeout);
    client = new Redis(options);
  }
  // Failures reach callers through the commands; the event would only be noise (or crash the process
  // unhandled). While connecting, it holds the real cause ("ECONNREFUSED") behind "Connection is closed".
  let cause: unknown;
  const remember = (err: unknown) => (cause ??= err);
  client.on("error", remember);
  try {
    await timeout(client.connect(), wait + 1_000, "connect");
    await timeout(client.ping(), wait, "PING");
    if (target.password !== undefined) {
      const who = target.username === undefined ? [target.password] : [target.username, target.password];
      const nodes = client instanceof Cluster ? client.nodes("master") : [client];
      await Promise.all(nodes.map((n) => timeout(n.call("AUTH", ...who), wait, "AUTH")));
    }
    client.off("error", remember);
    client.on("error", () => {});
    return client;
  } catch (caught) {
    client.disconnect();
    const err = caught instanceof Error && /Connection is closed|timed out/.test(caught.message) && cause ? cause : caught;
    const auth = err instanceof Error && AUTH_REPLY.test(err.message);
    const what = auth ? "authentication failed" : "cannot connect";
    throw new StoreError(safe, `${what}: ${oneLine(err, target.password)}`, { retryable: !auth, cause: err });
  }
}
