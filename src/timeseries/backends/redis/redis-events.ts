/**
 * Graphite events on Redis. For a prefix `P` (":" appended when missing)
 * and `H` the hash of P (see nameHash), one event log is three keys
 * sharing the cluster hash tag `{H}`, so each change is one script on one
 * node:
 *
 * | key | Redis type | holds |
 * | --- | --- | --- |
 * | `P events:{H}:seq` | string | the last id given (INCR: ids are never reused) |
 * | `P events:{H}:when` | sorted set | ids scored by `when`: a range read is ZRANGEBYSCORE |
 * | `P events:{H}:data` | hash | id → the event as JSON (`when, what, data, tags`) |
 */
import { createHash } from "node:crypto";
import { ErrorCodes, TorusError, quote } from "../../errors.js";
import type { EventLog, NewEvent, StoredEvent } from "../../store.js";
import type { RedisClient } from "./redis-connect.js";
import { nameHash } from "./redis-keys.js";
import type { Script } from "./redis-scripts.js";
import { slotOf } from "./redis-slot.js";

const script = (name: string, body: string): Script => ({ name, body, sha: createHash("sha1").update(body).digest("hex") });

/** KEYS: seq, when, data. ARGV: when, JSON. Returns the new id. */
const ADD = script(
  "event-add",
  `local id = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[3], id, ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], id)
return id`,
);

/** KEYS: when, data. ARGV: id. Returns 1 when an event went. */
const DELETE = script(
  "event-delete",
  `local n = redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return n`,
);

/** Ids per HMGET of a range read. */
const CHUNK = 1000;

interface EventKeys {
  seq: string;
  when: string;
  data: string;
}

type Run = (script: Script, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

export class RedisEvents implements EventLog {
  private readonly keys = new Map<string, EventKeys>();

  constructor(
    private readonly client: RedisClient,
    private readonly run: Run,
    private readonly fail: (what: string, err: unknown) => never,
  ) {}

  /** The keys of a prefix's log, checked to share one slot (a prefix holding an empty `{}` would scatter them). */
  keysOf(prefix: string): EventKeys {
    let k = this.keys.get(prefix);
    if (k) return k;
    const p = prefix === "" || prefix.endsWith(":") ? prefix : `${prefix}:`;
    const base = `${p}events:{${nameHash(p)}}:`;
    k = { seq: `${base}seq`, when: `${base}when`, data: `${base}data` };
    if (slotOf(k.seq) !== slotOf(k.when) || slotOf(k.seq) !== slotOf(k.data)) {
      throw new TorusError(ErrorCodes.BAD_OPTION, `prefix ${quote(prefix)}: an empty "{}" hash tag would scatter the event keys over the cluster; remove it`, { field: "prefix", value: prefix });
    }
    this.keys.set(prefix, k);
    return k;
  }

  async add(prefix: string, event: NewEvent): Promise<number> {
    try {
      const k = this.keysOf(prefix);
      const json = JSON.stringify({ when: event.when, what: event.what, data: event.data, tags: event.tags });
      return Number(await this.run(ADD, [k.seq, k.when, k.data], [String(event.when), json]));
    } catch (err) {
      this.fail("add event", err);
    }
  }

  async range(prefix: string, from: number, until: number): Promise<StoredEvent[]> {
    try {
      const k = this.keysOf(prefix);
      const ids = (await this.client.zrangebyscore(k.when, String(from), String(until))) as string[];
      const out: StoredEvent[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        const values = (await this.client.hmget(k.data, ...part)) as Array<string | null>;
        // An event deleted between the two reads is left out.
        values.forEach((v, j) => v !== null && out.push(eventOf(Number(part[j]), v)));
      }
      // Equal scores come back in member order, which is text order ("10" < "9"): order ids as numbers.
      return out.sort((a, b) => a.when - b.when || a.id - b.id);
    } catch (err) {
      this.fail("read events", err);
    }
  }

  async get(prefix: string, id: number): Promise<StoredEvent | null> {
    try {
      const v = await this.client.hget(this.keysOf(prefix).data, String(id));
      return v === null ? null : eventOf(id, v);
    } catch (err) {
      this.fail("read event", err);
    }
  }

  async delete(prefix: string, id: number): Promise<boolean> {
    try {
      const k = this.keysOf(prefix);
      return Number(await this.run(DELETE, [k.when, k.data], [String(id)])) === 1;
    } catch (err) {
      this.fail("delete event", err);
    }
  }
}

function eventOf(id: number, json: string): StoredEvent {
  const e = JSON.parse(json) as Omit<StoredEvent, "id">;
  return { id, when: e.when, what: e.what, data: e.data, tags: e.tags };
}
