/**
 * The Lua scripts. A script runs atomically on one node, which is what
 * makes a flush all-or-nothing per slot, a gauge's keep-newest a single
 * compare-and-set, and a read of 1,440 buckets one round trip.
 *
 * Only `WRITE` declares every key it touches (it is built client-side from
 * the batch). The others derive bucket keys from a stat's registries; all
 * those keys carry the stat's hash tag, so they live in the slot of the
 * declared key, which Redis Cluster allows.
 *
 * `unpack` is limited by Lua's C stack (about 8,000 values), so variadic
 * commands go in chunks of {@link CHUNK}.
 */
import { createHash } from "node:crypto";

/** Values per variadic call inside a script. */
const CHUNK = 1000;

const HELPERS = `
local CHUNK = ${CHUNK}
-- Call a variadic command with up to two leading args (nil when absent) and list values in chunks.
local function each_chunk(cmd, a, b, list, from, to)
  local j = from
  while j <= to do
    local k = math.min(j + CHUNK - 1, to)
    if b then
      redis.call(cmd, a, b, unpack(list, j, k))
    elseif a then
      redis.call(cmd, a, unpack(list, j, k))
    else
      redis.call(cmd, unpack(list, j, k))
    end
    j = k + 1
  end
end
`;

/**
 * Apply one slot's share of a batch. ARGV[1] is the type, then records:
 *
 * - `I idx# ivset# token idxExpiry nBuckets` then per bucket
 *   `key# bucket expiry nArgs args...` (args: count/histogram `field n`,
 *   set/series `member`, gauge `field ts value`);
 * - `N names# n` then `score name` pairs.
 *
 * `#` values are indexes into KEYS; expiries are Unix seconds, 0 = none.
 * A bucket key that did not exist gets its TTL and its index entry; one
 * that existed already has both, so steady-state merges cost one check and
 * the merge itself.
 */
export const WRITE = `${HELPERS}
local kind = ARGV[1]
local i = 2
local n = #ARGV
-- Move a registry key's expiry later, never earlier; a new key gets it outright.
local function extend(key, at, existed)
  if existed then redis.call('EXPIREAT', key, at, 'GT') else redis.call('EXPIREAT', key, at) end
end
while i <= n do
  local op = ARGV[i]
  if op == 'I' then
    local idx = KEYS[tonumber(ARGV[i + 1])]
    local ivset = KEYS[tonumber(ARGV[i + 2])]
    local token = ARGV[i + 3]
    local idx_at = tonumber(ARGV[i + 4])
    local nb = tonumber(ARGV[i + 5])
    i = i + 6
    local fresh = {}
    for _ = 1, nb do
      local key = KEYS[tonumber(ARGV[i])]
      local bucket = ARGV[i + 1]
      local at = tonumber(ARGV[i + 2])
      local m = tonumber(ARGV[i + 3])
      i = i + 4
      local last = i + m - 1
      local is_new = redis.call('EXISTS', key) == 0
      if kind == 'count' or kind == 'histogram' then
        for j = i, last, 2 do redis.call('HINCRBYFLOAT', key, ARGV[j], ARGV[j + 1]) end
      elseif kind == 'set' then
        each_chunk('SADD', key, nil, ARGV, i, last)
      elseif kind == 'series' then
        each_chunk('RPUSH', key, nil, ARGV, i, last)
      elseif kind == 'gauge' then
        for j = i, last, 3 do
          local cur = redis.call('HGET', key, ARGV[j])
          local ts = tonumber(ARGV[j + 1])
          -- Ties go to the later write, as in every other store.
          if not cur or ts >= tonumber(string.sub(cur, 1, string.find(cur, ':', 1, true) - 1)) then
            redis.call('HSET', key, ARGV[j], ARGV[j + 1] .. ':' .. ARGV[j + 2])
          end
        end
      else
        return redis.error_reply('ERR torus: unknown type ' .. tostring(kind))
      end
      i = last + 1
      if is_new then
        if at > 0 then redis.call('EXPIREAT', key, at) end
        fresh[#fresh + 1] = bucket
        fresh[#fresh + 1] = bucket
      end
    end
    if #fresh > 0 then
      local idx_existed = redis.call('EXISTS', idx) == 1
      each_chunk('ZADD', idx, nil, fresh, 1, #fresh)
      if idx_at > 0 then extend(idx, idx_at, idx_existed) end
      local iv_existed = redis.call('EXISTS', ivset) == 1
      redis.call('SADD', ivset, token)
      if idx_at > 0 then extend(ivset, idx_at, iv_existed) else redis.call('PERSIST', ivset) end
    end
  elseif op == 'N' then
    local key = KEYS[tonumber(ARGV[i + 1])]
    local m = tonumber(ARGV[i + 2])
    i = i + 3
    each_chunk('ZADD', key, 'GT', ARGV, i, i + 2 * m - 1)
    i = i + 2 * m
  else
    return redis.error_reply('ERR torus: bad record ' .. tostring(op))
  end
end
return 1
`;

/**
 * Buckets of one stat and interval between two starts. KEYS[1] = index;
 * ARGV = first, last, bucket key head, bucket key tail, type. Returns
 * `{bucket, contents, bucket, contents, ...}` for buckets still present
 * (a bucket whose TTL ran out is skipped).
 */
export const READ = `
local kind = ARGV[5]
local out = {}
for _, b in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2])) do
  local key = ARGV[3] .. b .. ARGV[4]
  local data
  if kind == 'set' then data = redis.call('SMEMBERS', key)
  elseif kind == 'series' then data = redis.call('LRANGE', key, 0, -1)
  else data = redis.call('HGETALL', key) end
  if #data > 0 then
    out[#out + 1] = b
    out[#out + 1] = data
  end
end
return out
`;

/**
 * First and last bucket of each interval of one stat. KEYS[1] = its
 * interval set; ARGV = key base, key tail (`:name`). Index entries whose
 * bucket has expired by TTL are dropped on the way, so `first` is a bucket
 * that really exists. Returns `{token, first, last, ...}`.
 */
export const PROPERTIES = `
local out = {}
local base, tail = ARGV[1], ARGV[2]
for _, tok in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local idx = base .. 'i:' .. tok .. tail
  local head = base .. 'b:' .. tok .. ':'
  local ends = {}
  for side, at in pairs({ 0, -1 }) do
    while true do
      local b = redis.call('ZRANGE', idx, at, at)[1]
      if not b then break end
      if redis.call('EXISTS', head .. b .. tail) == 1 then
        ends[side] = b
        break
      end
      redis.call('ZREM', idx, b)
    end
  end
  if ends[1] then
    out[#out + 1] = tok
    out[#out + 1] = ends[1]
    out[#out + 1] = ends[2]
  else
    redis.call('SREM', KEYS[1], tok)
  end
end
return out
`;

/**
 * Delete buckets of one stat and interval starting before ARGV[1].
 * KEYS = index, interval set; ARGV = before, bucket key head, key tail,
 * interval token. Returns how many intervals the stat still has (0: the
 * caller drops it from the names registry).
 */
export const EXPIRE = `${HELPERS}
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local keys = {}
for j, b in ipairs(old) do keys[j] = ARGV[2] .. b .. ARGV[3] end
each_chunk('DEL', nil, nil, keys, 1, #keys)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[4]) end
return redis.call('SCARD', KEYS[2])
`;

/** Delete every key of one stat. KEYS[1] = its interval set; ARGV = key base, key tail. */
export const DELETE = `${HELPERS}
local base, tail = ARGV[1], ARGV[2]
for _, tok in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local idx = base .. 'i:' .. tok .. tail
  local head = base .. 'b:' .. tok .. ':'
  local keys = {}
  for j, b in ipairs(redis.call('ZRANGE', idx, 0, -1)) do keys[j] = head .. b .. tail end
  keys[#keys + 1] = idx
  each_chunk('DEL', nil, nil, keys, 1, #keys)
end
redis.call('DEL', KEYS[1])
return 1
`;

/** A script with its SHA1, for EVALSHA with an EVAL fallback. */
export interface Script {
  readonly name: string;
  readonly body: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  return { name, body, sha: createHash("sha1").update(body).digest("hex") };
}

export const SCRIPTS = {
  write: script("write", WRITE),
  read: script("read", READ),
  properties: script("properties", PROPERTIES),
  expire: script("expire", EXPIRE),
  delete: script("delete", DELETE),
} as const;
