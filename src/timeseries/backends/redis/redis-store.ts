import { Cluster } from "ioredis";
import { StoreError, TorusError } from "../../errors.js";
import type { Namespace, Properties, Row, Store, WriteBatch } from "../../store.js";
import { redactUrl } from "../url.js";
import { connectRedis, isRetryable, oneLine, type RedisClient } from "./redis-connect.js";
import { KeySpace, intervalOfToken, intervalToken } from "./redis-keys.js";
import { rowsOf } from "./redis-rows.js";
import { SCRIPTS, type Script } from "./redis-scripts.js";
import { parseRedisUrl } from "./redis-url.js";
import { encodeBatch, type EncodedBatch, type SlotGroup } from "./redis-write.js";

/** Replies that prove the server refused a call before running it: safe to resend at once. */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|OOM|NOSCRIPT)\b|isn't writeable|enableOfflineQueue|non local key|do not hash to the same slot/;
/** Attempts (and pauses between them) for calls refused before running, e.g. during a failover. */
const RESEND_DELAYS_MS = [100, 400, 1_000];
/** Stats per concurrent wave when one operation walks many of them (delete_all, expire of all). */
const WAVE = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => Math.floor(Date.now() / 1000);

/** One script call of a flush, and the parts of the batch it carries (slot groups, registries). */
interface Call {
  script: Script;
  keys: string[];
  args: string[];
  parts: string[];
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

  /**
   * The calls for the parts of `encoded` not yet applied: one for a
   * standalone server; on a cluster one per node (by the client's current
   * slot map) and one per names registry.
   */
  private callsFor(encoded: EncodedBatch, done: Set<string>): Call[] {
    const groups = encoded.groups.filter((g) => !done.has(`slot:${g.slot}`));
    const byNode = new Map<string, SlotGroup[]>();
    for (const g of groups) {
      const node = this.handle instanceof Cluster ? (this.handle.slots[g.slot]?.[0] ?? `?${g.slot}`) : "";
      const list = byNode.get(node);
      if (list) list.push(g);
      else byNode.set(node, [g]);
    }
    const calls: Call[] = [...byNode.values()].map((gs) => ({
      script: SCRIPTS.write,
      keys: [gs[0].key],
      args: [encoded.header, `[${gs.map((g) => g.records).join(",")}]`],
      parts: gs.map((g) => `slot:${g.slot}`),
    }));
    for (const r of encoded.registries) {
      if (!done.has(`names:${r.key}`)) calls.push({ script: SCRIPTS.register, keys: [r.key], args: [r.json], parts: [`names:${r.key}`] });
    }
    return calls;
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.empty) return;
    let encoded: EncodedBatch;
    try {
      encoded = encodeBatch(this.url, batch, (ns) => this.space(ns), this.cluster, wallNow());
    } catch (err) {
      this.fail("write", err);
    }
    const done = this.applied.get(batch) ?? new Set<string>();
    let failure: unknown;
    let left = 0;
    for (let attempt = 0; ; attempt++) {
      const calls = this.callsFor(encoded, done);
      if (calls.length === 0) break;
      const results = await Promise.allSettled(calls.map((c) => this.run(c.script, c.keys, c.args)));
      const failed: unknown[] = [];
      results.forEach((r, i) => {
        if (r.status === "fulfilled") for (const part of calls[i].parts) done.add(part);
        else failed.push(r.reason);
      });
      left = failed.length;
      if (left === 0) break;
      // Resend only what the server provably did not run; anything else is the caller's to retry.
      const unrun = (e: unknown) => NOT_RUN.test(e instanceof Error ? e.message : String(e));
      failure = failed.find((e) => !unrun(e)) ?? failed[0];
      if (!failed.every(unrun) || attempt >= RESEND_DELAYS_MS.length) break;
      await sleep(RESEND_DELAYS_MS[attempt]);
      if (this.handle instanceof Cluster) await this.refreshSlots();
    }
    if (left === 0) {
      this.applied.delete(batch);
      return;
    }
    if (done.size > 0) this.applied.set(batch, done);
    const partial = done.size > 0 ? " (part of the batch was written; writing the same batch again completes it without counting twice)" : "";
    throw new StoreError(this.url, `write failed: ${oneLine(failure, this.password)}${partial}`, { retryable: isRetryable(failure), cause: failure });
  }

  /** Reload the cluster's slot map (after a failover moved slots), bounded so a dead cluster cannot hang a write. */
  private async refreshSlots(): Promise<void> {
    const cluster = this.handle as Cluster;
    await Promise.race([
      new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve())),
      sleep(2_000),
    ]);
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
      return replies.map((reply) => rowsOf(ns.type, reply as unknown[], first, last));
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
      const reply = (await this.run(SCRIPTS.properties, [ks.intervals(name)], [ks.base(name), `:${name}`, ns.type])) as string[];
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
            this.run(SCRIPTS.expire, [ks.index(n, interval), ks.intervals(n)], [before, `${ks.base(n)}b:${token}:`, `:${n}`, token, ns.type]),
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
