import { Cluster } from "ioredis";
import { FlushOverlapError, StoreError, TorusError } from "../../errors.js";
import type { NameListing, Namespace, Properties, Row, Store, TagCondition, TagValueCount } from "../../store.js";
import { compareCodePoints, prefixRange } from "../../tag-pairs.js";
import { FLUSH_ID_TTL_SECONDS, type WriteBatch } from "../../write-batch.js";
import { NameCache, nameCacheBytes } from "../name-cache.js";
import { redactUrl } from "../url.js";
import { connectRedis, isRetryable, oneLine, type RedisClient } from "./redis-connect.js";
import { KeySpace, intervalOfToken, intervalToken, type NameTag } from "./redis-keys.js";
import { rowsOf } from "./redis-rows.js";
import { SCRIPTS, type Script } from "./redis-scripts.js";
import { listAfterRedis } from "./redis-list-after.js";
import { parseRedisUrl } from "./redis-url.js";
import { RedisEvents } from "./redis-events.js";
import { encodeBatch, type EncodedBatch, type FlushHome, type SlotGroup } from "./redis-write.js";

/** Replies that prove the server refused a call before running it: safe to resend at once. */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|OOM|NOSCRIPT|BUSY|NOREPLICAS)\b|isn't writeable|enableOfflineQueue|non local key|do not hash to the same slot/;
/** Attempts (and pauses between them) for calls refused before running, e.g. during a failover. */
const RESEND_DELAYS_MS = [100, 400, 1_000];
/** Stats per concurrent wave when one operation walks many of them (delete_all, expire of all). */
const WAVE = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => Math.floor(Date.now() / 1000);

/**
 * The keys a WRITE call records its flushes in: per flush with names on
 * the call's node, the smallest of its key bases in the node's slots, then
 * `f:` and the flush id. In a slot of the node, and the same whether the
 * flush travels alone or merged with others, as long as the slot map holds.
 */
function marksOf(flushes: readonly FlushHome[], nodeOf: (slot: number) => string): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const f of flushes) {
    const least = new Map<string, string>();
    for (const [slot, base] of f.bases) {
      const node = nodeOf(slot);
      const had = least.get(node);
      if (had === undefined || base < had) least.set(node, base);
    }
    for (const [node, base] of least) {
      const marks = byNode.get(node);
      if (marks) marks.push(`${base}f:${f.id}`);
      else byNode.set(node, [`${base}f:${f.id}`]);
    }
  }
  return byNode;
}

/** The WRITE script's answer for a call carrying flushes of which the node had applied some, not all (see WRITE). */
const OVERLAP = /^OVERLAP (\d+) (\d+)/;

/** Replies that prove the server did not run the call. */
const unrun = (e: unknown) => NOT_RUN.test(e instanceof Error ? e.message : String(e));

/** One script call of a flush: the slot groups it carries, or the registrations. */
interface Call {
  script: Script;
  keys: string[];
  args: string[];
  slots: number[];
  /** REGISTER calls: the registry and the `[score, name, ...]` entries they carry. */
  registry?: { key: string; entries: Array<string | number> };
  /** WRITE calls of a batch with flush ids: the keys the script records them in. */
  marks?: string[];
}

/** How far a batch got: slot groups applied, and names registrations still owed (cluster). */
interface Progress {
  slots: Set<number>;
  owed: Map<string, Array<string | number>>;
  /** Calls whose reply was lost: they may have run. Their marks tell (see `settle`). */
  uncertain: Array<{ marks: string[]; slots: number[] }>;
}

/**
 * Redis and Redis Cluster behind one store: ioredis's `Redis` and `Cluster`
 * take the same commands, and every multi-key operation is a Lua script
 * (see `redis-keys.ts` for the layout, `redis-scripts.ts` for the scripts).
 *
 * A flush is a script, not MULTI/EXEC or a plain pipeline: a script is
 * atomic like a transaction, can also do the gauge's compare and skip the
 * TTL and index upkeep of chunks that already exist, and carries a
 * 10,000-bucket flush as one command with one JSON argument instead of
 * tens of thousands of commands (the per-command cost of the client was
 * most of the time).
 *
 * Standalone, the whole flush is one script call: all or nothing. On a
 * cluster it is one call per node (by the client's slot map), each atomic
 * on its node, then one call registering new stat names (the registry has
 * a slot of its own). Calls the server provably did not run (MOVED,
 * CLUSTERDOWN, a slot no longer local, ...) are resent after a pause and a
 * slot map refresh. A failure that leaves part of the batch applied throws
 * a retryable StoreError and remembers how far the batch got: writing the
 * same WriteBatch object again sends only the rest, so that retry does not
 * count twice.
 *
 * A batch with a flush id is applied once however often it is written:
 * each WRITE call checks a mark key on its node (`…{tag}:f:<id>`, kept an
 * hour; one per call, so a flush adds at most one key per master), applies
 * nothing if it is set, and sets it with its writes. So a call whose reply
 * was lost (connection dropped or command timeout after the server ran it)
 * can be sent again; if the slot map changed meanwhile, the lost call's
 * mark is read first (see `settle`).
 * A merged spool replay (`WriteBatch.flushIds`) carries one mark per
 * flush per node, each where that flush alone would put it: the call
 * applies everything when none is set, nothing when all are, and refuses
 * when some are (FlushOverlapError: the flushes go again one by one).
 * Without an id, such a retry counts twice: Redis cannot tell us whether
 * the call ran. On a cluster, a master that dies before replicating an
 * acknowledged flush loses it (replication is asynchronous; use WAIT for a
 * guarantee).
 */
export class RedisStore implements Store {
  readonly url: string;
  readonly handle: RedisClient;
  /** Merged replays: each flush's mark per node is where it would be alone (see `marksOf`). */
  readonly mergedFlushes = true;
  private readonly cluster: boolean;
  private readonly password: string | undefined;
  private readonly spaces = new Map<string, KeySpace>();
  /** Names registry key → its namespace's tag index key base (for registrations owed on a cluster). */
  private readonly tagBases = new Map<string, string>();
  /** Name → tag and slot for every key space, bounded by `client_config.name_cache_mb`. */
  private readonly tags: NameCache<KeySpace, NameTag>;
  /** Per batch that failed part-way: how far it got, so writing it again sends only the rest. */
  private readonly applied = new WeakMap<WriteBatch, Progress>();
  /** Graphite events, in keys of their own (see redis-events.ts). */
  readonly events: RedisEvents;

  private constructor(url: string, client: RedisClient, nameCacheBytes: number) {
    this.url = redactUrl(url);
    this.tags = new NameCache(nameCacheBytes);
    this.handle = client;
    this.cluster = client instanceof Cluster;
    this.password = parseRedisUrl(url).password;
    this.events = new RedisEvents(client, (script, keys, args) => this.run(script, keys, args), (what, err) => this.fail(what, err));
  }

  /** Connect (bounded by the connect timeout) and return the store; throws a StoreError naming the redacted URL. */
  static async open(url: string, clientConfig: Record<string, unknown> = {}): Promise<RedisStore> {
    const bytes = nameCacheBytes(clientConfig, redactUrl(url));
    // The store's own setting; the rest is the driver's.
    const { name_cache_mb: _, ...driver } = clientConfig;
    return new RedisStore(url, await connectRedis(url, driver), bytes);
  }

  private space(ns: Namespace): KeySpace {
    const id = `${ns.type}\u0000${ns.prefix}`;
    let ks = this.spaces.get(id);
    if (!ks) {
      this.spaces.set(id, (ks = new KeySpace(ns, this.tags)));
      this.tagBases.set(ks.names, ks.tags);
    }
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
   * The calls for what of `encoded` is not yet applied: one for a
   * standalone server; on a cluster one per node (by the client's current
   * slot map), plus one per names registry with registrations owed.
   */
  private callsFor(encoded: EncodedBatch, progress: Progress): Call[] {
    const handle = this.handle;
    const nodeOf = handle instanceof Cluster ? (slot: number) => handle.slots[slot]?.[0] ?? `?${slot}` : () => "";
    const byNode = new Map<string, SlotGroup[]>();
    for (const g of encoded.groups) {
      if (progress.slots.has(g.slot)) continue;
      const node = nodeOf(g.slot);
      const list = byNode.get(node);
      if (list) list.push(g);
      else byNode.set(node, [g]);
    }
    const marks = encoded.flushes.length > 0 && byNode.size > 0 ? marksOf(encoded.flushes, nodeOf) : null;
    const calls: Call[] = [...byNode].map(([node, gs]) => {
      const args = [encoded.header, JSON.stringify(gs.length === 1 ? gs[0].records : gs.flatMap((g) => g.records))];
      if (marks === null) return { script: SCRIPTS.write, keys: [gs[0].key], args, slots: gs.map((g) => g.slot) };
      // ARGV[3]: the marks, one per flush with names on the node; ARGV[4]: how long they are kept.
      const here = marks.get(node);
      // The call's rows are some flush's names: that flush has a mark here.
      if (here === undefined) throw new StoreError(this.url, "write: no flush of a tracked batch has names on a node it writes; nothing was written", { retryable: false });
      args.push(JSON.stringify(here), String(FLUSH_ID_TTL_SECONDS));
      return { script: SCRIPTS.write, keys: [gs[0].key], args, slots: gs.map((g) => g.slot), marks: here };
    });
    for (const [key, entries] of progress.owed) {
      calls.push({ script: SCRIPTS.register, keys: [key], args: [JSON.stringify(entries), this.tagBases.get(key)!, String(wallNow())], slots: [], registry: { key, entries } });
    }
    progress.owed = new Map();
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
    const progress: Progress = this.applied.get(batch) ?? { slots: new Set<number>(), owed: new Map(), uncertain: [] };
    const owe = (key: string, entries: Array<string | number>) => {
      const list = progress.owed.get(key);
      if (list) list.push(...entries);
      else progress.owed.set(key, entries);
    };
    if (progress.uncertain.length > 0) {
      try {
        await this.settle(encoded, progress, owe);
      } catch (err) {
        this.fail("write", err);
      }
    }
    let failure: unknown;
    let overlap: FlushOverlapError | undefined;
    for (let failures = 0; ; ) {
      let calls: Call[];
      try {
        calls = this.callsFor(encoded, progress);
      } catch (err) {
        this.fail("write", err);
      }
      if (calls.length === 0) break;
      const results = await Promise.allSettled(calls.map((c) => this.run(c.script, c.keys, c.args)));
      const failed: unknown[] = [];
      results.forEach((r, i) => {
        const call = calls[i];
        if (r.status === "rejected") {
          const o = call.marks !== undefined && call.marks.length > 1 ? OVERLAP.exec(r.reason instanceof Error ? r.reason.message : "") : null;
          if (o) {
            overlap ??= new FlushOverlapError(this.url, Number(o[1]), Number(o[2]));
            return;
          }
          failed.push(r.reason);
          if (call.registry) owe(call.registry.key, call.registry.entries);
          if (call.marks !== undefined && !unrun(r.reason)) progress.uncertain.push({ marks: call.marks, slots: call.slots });
          return;
        }
        for (const slot of call.slots) progress.slots.add(slot);
        // A cluster WRITE answers with the stats it created: [namespace#, score, name, ...].
        const made = Array.isArray(r.value) ? (r.value as Array<string | number>) : [];
        for (let j = 0; j < made.length; j += 3) owe(encoded.registries[Number(made[j]) - 1], [made[j + 1], made[j + 2]]);
      });
      // Merged flushes a node knows some of: the batch is given up, its flushes go one by one, each recognised by
      // its own marks (names a call created here are reported again by the marks it set).
      if (overlap) {
        this.applied.delete(batch);
        throw overlap;
      }
      if (failed.length === 0) continue; // registrations owed go out next round
      // Resend only what the server provably did not run; anything else is the caller's to retry.
      failure = failed.find((e) => !unrun(e)) ?? failed[0];
      if (!failed.every(unrun) || failures >= RESEND_DELAYS_MS.length) break;
      await sleep(RESEND_DELAYS_MS[failures++]);
      if (this.handle instanceof Cluster) await this.refreshSlots();
      failure = undefined;
    }
    if (failure === undefined) {
      this.applied.delete(batch);
      return;
    }
    const partial = progress.slots.size > 0 || progress.owed.size > 0 || progress.uncertain.length > 0;
    if (partial) this.applied.set(batch, progress);
    const note = partial ? " (part of the batch was or may have been written; writing the same batch again completes it without counting twice)" : "";
    // Partly applied, the batch must be written again as it is: split (as ingest does with a refused batch),
    // its halves would apply the written part a second time.
    throw new StoreError(this.url, `write failed: ${oneLine(failure, this.password)}${note}`, { retryable: partial || isRetryable(failure), cause: failure });
  }

  /**
   * Before resending a batch: did the calls whose reply was lost run? Each
   * one's mark was set in the same script as its writes, so it says. Asked
   * here, not only in the resent script, because the slot map may have
   * changed meanwhile and the resent calls then group slots differently
   * (under other marks). The slots of a call that ran are done, and the
   * names it created (kept in its mark) are registered again.
   */
  private async settle(encoded: EncodedBatch, progress: Progress, owe: (key: string, entries: Array<string | number>) => void): Promise<void> {
    const seen = await Promise.all(progress.uncertain.map((u) => Promise.all(u.marks.map((m) => this.handle.get(m)))));
    seen.forEach((reports, i) => {
      // A call sets all its marks or none; one of them set alone was set by another write (its flush alone): not this call.
      if (reports.some((r) => r === null)) return;
      for (const slot of progress.uncertain[i].slots) progress.slots.add(slot);
      for (const reported of reports) {
        const made = JSON.parse(reported!) as unknown;
        if (!Array.isArray(made)) continue; // `{}`: Lua's empty table, nothing created
        for (let j = 0; j < made.length; j += 3) owe(encoded.registries[Number(made[j]) - 1], [made[j + 1] as string | number, made[j + 2] as string]);
      }
    });
    progress.uncertain = [];
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

  /** By registration order (see redis-list-after.ts). */
  async listAfter(ns: Namespace, after: number, limit?: number): Promise<NameListing> {
    try {
      const ks = this.space(ns);
      return await listAfterRedis((script, keys, args) => this.run(script, keys, args), ks.names, ks.tags, after, limit, wallNow());
    } catch (err) {
      this.fail("listAfter", err);
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

  /** A prefix as ZRANGEBYLEX bounds. */
  private static lex(prefix: string): [string, string] {
    const { low, high } = prefixRange(prefix);
    return [prefix === "" ? "-" : `[${low}`, high === null ? "+" : `(${high}`];
  }

  async tagKeys(ns: Namespace, prefix = "", limit = Infinity): Promise<string[]> {
    try {
      const ks = this.space(ns);
      const [min, max] = RedisStore.lex(prefix);
      const page = Number.isFinite(limit) ? ["LIMIT", 0, limit] : [];
      return (await this.handle.call("zrangebylex", [`${ks.tags}t`, min, max, ...page])) as string[];
    } catch (err) {
      this.fail("tagKeys", err);
    }
  }

  async tagValues(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<string[]> {
    try {
      const ks = this.space(ns);
      const [min, max] = RedisStore.lex(prefix);
      const page = Number.isFinite(limit) ? ["LIMIT", 0, limit] : [];
      return (await this.handle.call("zrangebylex", [`${ks.tags}v:${tag}`, min, max, ...page])) as string[];
    } catch (err) {
      this.fail("tagValues", err);
    }
  }

  async tagCounts(ns: Namespace, tag: string, prefix = "", limit = Infinity): Promise<TagValueCount[]> {
    try {
      const ks = this.space(ns);
      const [min, max] = RedisStore.lex(prefix);
      const reply = (await this.run(SCRIPTS.tagCounts, [`${ks.tags}v:${tag}`], [`${ks.tags}s:${tag}=`, min, max, Number.isFinite(limit) ? limit : -1])) as Array<string | number>;
      const out: TagValueCount[] = [];
      for (let i = 0; i < reply.length; i += 2) out.push({ value: String(reply[i]), count: Number(reply[i + 1]) });
      return out;
    } catch (err) {
      this.fail("tagCounts", err);
    }
  }

  async findTagged(ns: Namespace, conditions: readonly TagCondition[]): Promise<string[]> {
    if (conditions.length === 0 || conditions.some((c) => c.values.length === 0)) return [];
    try {
      const ks = this.space(ns);
      const conds = conditions.map((c) => [c.tag, [...new Set(c.values)]]);
      const names = (await this.run(SCRIPTS.findTagged, [ks.names], [ks.tags, wallNow(), JSON.stringify(conds)])) as string[];
      return names.sort(compareCodePoints);
    } catch (err) {
      this.fail("findTagged", err);
    }
  }

  /**
   * Drop stats that have no data left from the names registry. A flush may
   * create one of them again between our check and the removal (on a
   * cluster the registry is on another node, so this can't be one script),
   * and a flush only registers a stat when it creates a chunk: look again
   * afterwards and put back any that came back, kept listed until the next
   * expiry sweep finds them empty.
   */
  private async unregister(ks: KeySpace, names: readonly string[]): Promise<void> {
    await this.handle.zrem(ks.names, ...names);
    const left = await Promise.all(names.map((n) => this.handle.scard(ks.intervals(n))));
    const back = names.filter((_, i) => left[i] > 0);
    if (back.length > 0) await this.handle.zadd(ks.names, "GT", ...back.flatMap((n) => ["+inf", n]));
    // Only now: a name registered again (here or by a flush) keeps its tags.
    await this.run(SCRIPTS.untag, [ks.names], [ks.tags, JSON.stringify(names)]);
  }

  private async deleteNames(ks: KeySpace, names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += WAVE) {
      const wave = names.slice(i, i + WAVE);
      await Promise.all(wave.map((name) => this.run(SCRIPTS.delete, [ks.intervals(name)], [ks.base(name), `:${name}`])));
      await this.unregister(ks, wave);
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
        // A stat with no interval left leaves the registry.
        const gone = wave.filter((_, j) => Number(left[j]) === 0);
        if (gone.length > 0) await this.unregister(ks, gone);
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
