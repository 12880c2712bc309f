/**
 * `listAfter` on Redis: a log of registrations beside the names registry.
 *
 * Under the namespace's tag index key base `T` (in the registry's cluster
 * slot, see KeySpace.tags): `T seq`, a counter, and `T log`, a sorted set of
 * names scored by the counter's value when each was last registered. The
 * script that registers a name (WRITE standalone, REGISTER on a cluster)
 * logs it when the registry did not list it (a new name, one deleted or
 * expired and written again), in the same atomic step, so a sequence value
 * is never seen before the registration it stands for: a listing is
 * "log scores above the cursor", with no gaps to wait for. Names leaving
 * the registry leave the log with their tags (UNTAG).
 *
 * Names a registry holds but the log lacks (stored before the log existed,
 * or by a karbon from before it) are logged by each full listing (`after`
 * 0), so they are found no later than full listings found them before.
 * The logging itself is `LOG_NEW`, part of the registering scripts (redis-scripts.ts).
 */
import { createHash } from "node:crypto";
import type { Script } from "./redis-scripts.js";

/**
 * Names logged after ARGV[2] that the registry lists as live, up to
 * ARGV[3] of them (-1: all), and the score of the last log entry read.
 * KEYS[1] = registry; ARGV = tag key base, after, limit, now.
 */
const LIST_AFTER = `
local tb, last, limit, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
local PAGE = 1000
while true do
  local page = redis.call('ZRANGEBYSCORE', tb .. 'log', '(' .. last, '+inf', 'WITHSCORES', 'LIMIT', 0, PAGE)
  if #page == 0 then break end
  local names = {}
  for j = 1, #page, 2 do names[#names + 1] = page[j] end
  local scores = redis.call('ZMSCORE', KEYS[1], unpack(names))
  local stop = false
  for j = 1, #names do
    last = page[2 * j]
    local s = scores[j]
    if s and (s == 'inf' or tonumber(s) > now) then
      out[#out + 1] = names[j]
      if limit >= 0 and #out >= limit then stop = true break end
    end
  end
  if stop or #page < 2 * PAGE then break end
end
table.insert(out, 1, last)
return out
`;

/** Log registry members the log lacks. KEYS[1] = registry; ARGV = tag key base, first rank, last rank. */
const BACKFILL = `
local tb = ARGV[1]
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3])) do
  if not redis.call('ZSCORE', tb .. 'log', name) then redis.call('ZADD', tb .. 'log', redis.call('INCR', tb .. 'seq'), name) end
end
return 1
`;

function script(name: string, body: string): Script {
  return { name, body, sha: createHash("sha1").update(body).digest("hex") };
}

export const LIST_SCRIPTS = {
  listAfter: script("listAfter", LIST_AFTER),
  backfill: script("backfill", BACKFILL),
  zcard: script("zcard", `return redis.call('ZCARD', KEYS[1])`),
} as const;

/** Registry members per BACKFILL call. */
const BACKFILL_CHUNK = 5000;

type Run = (script: Script, keys: string[], args: Array<string | number>) => Promise<unknown>;

/** `listAfter` for one namespace: `registry` its names key, `tags` its tag key base. */
export async function listAfterRedis(run: Run, registry: string, tags: string, after: number, limit: number | undefined, now: number): Promise<{ names: string[]; next: number }> {
  if (after <= 0) {
    // By rank, which shifts as names come and go meanwhile: one registered since was logged by its write,
    // one skipped by a shift is logged by the next full listing.
    for (let from = 0; ; from += BACKFILL_CHUNK) {
      await run(LIST_SCRIPTS.backfill, [registry], [tags, from, from + BACKFILL_CHUNK - 1]);
      if (from + BACKFILL_CHUNK >= Number(await run(LIST_SCRIPTS.zcard, [registry], []))) break;
    }
  }
  const reply = (await run(LIST_SCRIPTS.listAfter, [registry], [tags, Math.max(after, 0), limit ?? -1, now])) as string[];
  return { names: reply.slice(1).map(String), next: Number(reply[0]) };
}
