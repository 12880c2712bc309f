import { Cluster } from "ioredis";
import { StoreError, TorusError } from "../../errors.js";
import type { Namespace, Properties, Row, Store, WriteBatch } from "../../store.js";
import { redactUrl } from "../url.js";
import { connectRedis, isRetryable, oneLine, type RedisClient } from "./redis-connect.js";
import { KeySpace, intervalOfToken, intervalToken } from "./redis-keys.js";
import { rowsOf } from "./redis-rows.js";
import { SCRIPTS, type Script } from "./redis-scripts.js";
import { parseRedisUrl } from "./redis-url.js";
import { encodeBatch, type WriteCall } from "./redis-write.js";

/** Replies that prove the server refused a call before running it: safe to resend at once. */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|OOM|NOSCRIPT)\b|isn't writeable|enableOfflineQueue/;
/** Attempts (and pauses between them) for calls refused before running, e.g. during a failover. */
const RESEND_DELAYS_MS = [100, 400, 1_000];
/** Stats per concurrent wave when one operation walks many of them (delete_all, expire of all). */
const WAVE = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => Math.floor(Date.now() / 1000);

function signature(call: WriteCall): string {
  return `${call.keys[0]}|${call.keys.length}|${call.args.length}`;
}

/**
 * Redis and Redis Cluster behind one store: ioredis's `Redis` and `Cluster`
 * take the same commands, and every multi-key operation is a Lua script
 * over keys of one slot (see `redis-keys.ts` for the layout).
 *
 * A flush is a script, not MULTI/EXEC or a plain pipeline: a script is
 * atomic like a transaction, but it can also do the gauge's compare and
 * skip index upkeep for buckets that already exist, and a 10,000-bucket
 * flush is one command instead of tens of thousands. Standalone, the whole
 * flush is one script call: all or nothing. On a cluster it is one call per
 * slot (a stat's keys share a slot), sent as one auto-pipeline per node;
 * calls refused before running (MOVED, CLUSTERDOWN, ...) are resent after a
 * pause. A failure that leaves some slots applied throws a retryable
 * StoreError; writing the same WriteBatch object again skips the slots
 * already applied, so that retry does not count twice.
 *
 * Not idempotent: a call whose reply is lost (connection dropped or command
 * timeout after the server ran it) is reported as failed, and a retry then
 * counts it twice. Redis cannot tell us whether it ran.
 */
export class RedisStore implements Store {
  readonly url: string;
  readonly handle: RedisClient;
  private readonly cluster: boolean;
  private readonly password: string | undefined;
  private readonly spaces = new Map<string, KeySpace>();
  /** Per batch that failed part-way: signatures of calls already applied. */
  private readonly applied = new WeakMap<WriteBatch, Set<string>>();

  private constructor(url: string, client: RedisClient) {
    this.url = redactUrl(url);
    this.handle = client;
    this.cluster = client instanceof Cluster;
    this.password = parseRedisUrl(url).password;
  }

  /** Connect (bounded by the connect timeout) and return the store; throws a StoreError naming the redacted URL. */
  static async open(url: string, clientConfig: Record<string, unknown> = {}): Promise<RedisStore> {
    return new RedisStore(url, await connectRedis(url, clientConfig));
  }

  private space(ns: Namespace): KeySpace {
    const id = `${ns.type}\u0000${ns.prefix}`;
    let ks = this.spaces.get(id);
    if (!ks) this.spaces.set(id, (ks = new KeySpace(ns)));
    return ks;
  }

  private fail(what: string, err: unknown): never {
    // StoreErrors pass as they are, and so do configuration errors (a bad prefix): retrying cannot fix those.
    if (err instanceof TorusError) throw err;
    throw new StoreError(this.url, `${what} failed: ${oneLine(err, this.password)}`, { retryable: isRetryable(err), cause: err });
  }

  /** EVALSHA, falling back to EVAL when the node has not seen the script (a restart, a fresh replica promoted). */
  private async run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.handle.call("evalsha", [script.sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.handle.call("eval", [script.body, keys.length, ...keys, ...args]);
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.empty) return;
    let calls: WriteCall[];
    try {
      calls = encodeBatch(this.url, batch, (ns) => this.space(ns), this.cluster, wallNow());
    } catch (err) {
      this.fail("write", err);
    }
    const done = this.applied.get(batch) ?? new Set<string>();
    let pending = calls.filter((c) => !done.has(signature(c)));
    let failure: unknown;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const results = await Promise.allSettled(pending.map((c) => this.run(SCRIPTS.write, c.keys, c.args)));
      const failed: Array<[WriteCall, unknown]> = [];
      results.forEach((r, i) => {
        if (r.status === "fulfilled") done.add(signature(pending[i]));
        else failed.push([pending[i], r.reason]);
      });
      pending = failed.map(([c]) => c);
      if (failed.length === 0) break;
      // Resend only what the server provably did not run; anything else is the caller's to retry.
      const unrun = (e: unknown) => NOT_RUN.test(e instanceof Error ? e.message : String(e));
      failure = failed.find(([, e]) => !unrun(e))?.[1] ?? failed[0][1];
      if (!failed.every(([, e]) => unrun(e)) || attempt >= RESEND_DELAYS_MS.length) break;
      await sleep(RESEND_DELAYS_MS[attempt]);
    }
    if (pending.length === 0) {
      this.applied.delete(batch);
      return;
    }
    if (done.size > 0) this.applied.set(batch, done);
    const partial = calls.length > 1 ? ` (${pending.length} of ${calls.length} slot groups not written; rewrite the same batch to finish it)` : "";
    throw new StoreError(this.url, `write failed: ${oneLine(failure, this.password)}${partial}`, { retryable: isRetryable(failure), cause: failure });
  }

  async read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]> {
    try {
      const ks = this.space(ns);
      const token = intervalToken(interval);
      const replies = await Promise.all(
        names.map((name) =>
          this.run(SCRIPTS.read, [ks.index(name, interval)], [first, last, `${ks.base(name)}b:${token}:`, `:${name}`, ns.type]),
        ),
      );
      return replies.map((reply) => rowsOf(ns.type, reply as unknown[]));
    } catch (err) {
      this.fail("read", err);
    }
  }

  async list(ns: Namespace): Promise<string[]> {
    try {
      // Scored by the latest expiry of each stat's keys: stats whose data all timed out drop out by themselves.
      const names = (await this.handle.zrangebyscore(this.space(ns).names, `(${wallNow()}`, "+inf")) as string[];
      return names.sort();
    } catch (err) {
      this.fail("list", err);
    }
  }

  async properties(ns: Namespace, name: string): Promise<Properties> {
    try {
      const ks = this.space(ns);
      const reply = (await this.run(SCRIPTS.properties, [ks.intervals(name)], [ks.base(name), `:${name}`])) as string[];
      const out: Properties = {};
      for (let i = 0; i < reply.length; i += 3) out[intervalOfToken(reply[i])] = { first: Number(reply[i + 1]), last: Number(reply[i + 2]) };
      return out;
    } catch (err) {
      this.fail("properties", err);
    }
  }

  private async deleteNames(ks: KeySpace, names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += WAVE) {
      const wave = names.slice(i, i + WAVE);
      await Promise.all(wave.map((name) => this.run(SCRIPTS.delete, [ks.intervals(name)], [ks.base(name), `:${name}`])));
      await this.handle.zrem(ks.names, ...wave);
    }
  }

  async delete(ns: Namespace, name: string): Promise<void> {
    try {
      await this.deleteNames(this.space(ns), [name]);
    } catch (err) {
      this.fail("delete", err);
    }
  }

  // Walks the names registry: no SCAN over the keyspace.
  async deleteAll(ns: Namespace): Promise<void> {
    try {
      const ks = this.space(ns);
      await this.deleteNames(ks, (await this.handle.zrange(ks.names, 0, -1)) as string[]);
    } catch (err) {
      this.fail("delete_all", err);
    }
  }

  async expire(ns: Namespace, interval: string, before: number, name?: string): Promise<void> {
    try {
      const ks = this.space(ns);
      const token = intervalToken(interval);
      const names = name === undefined ? ((await this.handle.zrange(ks.names, 0, -1)) as string[]) : [name];
      for (let i = 0; i < names.length; i += WAVE) {
        const wave = names.slice(i, i + WAVE);
        const left = await Promise.all(
          wave.map((n) =>
            this.run(SCRIPTS.expire, [ks.index(n, interval), ks.intervals(n)], [before, `${ks.base(n)}b:${token}:`, `:${n}`, token]),
          ),
        );
        // A stat with no interval left leaves the registry; a concurrent flush re-adds it (every flush registers its stats).
        const gone = wave.filter((_, j) => Number(left[j]) === 0);
        if (gone.length > 0) await this.handle.zrem(ks.names, ...gone);
      }
    } catch (err) {
      this.fail("expire", err);
    }
  }

  async close(): Promise<void> {
    if (this.handle.status === "end") return;
    try {
      await this.handle.quit();
    } catch {
      this.handle.disconnect();
    }
  }
}

/** The factory `open-store.ts` registers for `redis://`, `rediss://` and `redis-cluster://`. */
export async function openRedisStore(url: string, clientConfig: Record<string, unknown>): Promise<Store> {
  return RedisStore.open(url, clientConfig);
}
