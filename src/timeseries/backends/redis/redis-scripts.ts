/**
 * The Lua scripts. A script runs atomically on one node, which is what
 * makes a flush all-or-nothing per node, a gauge's keep-newest a single
 * compare-and-set, and a read of 1,440 buckets one round trip.
 *
 * Scripts declare one key, which routes the call on a cluster, and build
 * the others from it: a stat's keys all carry its hash tag, so they live
 * in the declared key's slot, which Redis Cluster allows for undeclared
 * keys. `WRITE` spans the slots of one node (`allow-cross-slot-keys`,
 * Redis 7+).
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
 * The tag index of a namespace, under a key base `T` in the names
 * registry's slot (see KeySpace.tags): `T t` sorted set of tags, `T v: tag`
 * sorted set of its values (both score 0, read by lexicographic range),
 * `T s: tag = value` set of the names carrying the pair. A name's pairs are
 * read as tag-pairs.ts reads them. Indexing is skipped when the name is in
 * the set of its `name` pair already: a steady stream pays one check per new chunk.
 */
const TAGS = `
local function tag_pairs(name)
  local semi = string.find(name, ';', 1, true)
  if not semi then return nil end
  local out = {{'name', string.sub(name, 1, semi - 1)}}
  local i = semi
  while i do
    local j = string.find(name, ';', i + 1, true)
    local seg = j and string.sub(name, i + 1, j - 1) or string.sub(name, i + 1)
    local eq = string.find(seg, '=', 1, true)
    if eq and eq > 1 then out[#out + 1] = {string.sub(seg, 1, eq - 1), string.sub(seg, eq + 1)} end
    i = j
  end
  return out
end
local function index_tags(tb, name)
  local tp = tag_pairs(name)
  if not tp or redis.call('SISMEMBER', tb .. 's:name=' .. tp[1][2], name) == 1 then return end
  -- A value is listed when its set is created, a tag when its value list is.
  for _, p in ipairs(tp) do
    local set = tb .. 's:' .. p[1] .. '=' .. p[2]
    if redis.call('SADD', set, name) == 1 and redis.call('SCARD', set) == 1 then
      local vals = tb .. 'v:' .. p[1]
      if redis.call('ZADD', vals, 0, p[2]) == 1 and redis.call('ZCARD', vals) == 1 then redis.call('ZADD', tb .. 't', 0, p[1]) end
    end
  end
end
local function unindex_tags(tb, name)
  local tp = tag_pairs(name)
  if not tp then return end
  for _, p in ipairs(tp) do
    local set = tb .. 's:' .. p[1] .. '=' .. p[2]
    redis.call('SREM', set, name)
    if redis.call('SCARD', set) == 0 then
      local vals = tb .. 'v:' .. p[1]
      redis.call('ZREM', vals, p[2])
      if redis.call('ZCARD', vals) == 0 then redis.call('ZREM', tb .. 't', p[1]) end
    end
  end
end
`;

/**
 * Lua: log the names of `reg` (`{score, name, ...}`, as ZADD takes them)
 * that `registry` does not list as live at `now`; run just before the ZADD. For `listAfter` (see redis-list-after.ts).
 */
const LOG_NEW = `
local function log_new(registry, tb, reg, now)
  for j = 2, #reg, 2 do
    local s = redis.call('ZSCORE', registry, reg[j])
    if not s or (s ~= 'inf' and tonumber(s) <= now) then
      redis.call('ZADD', tb .. 'log', redis.call('INCR', tb .. 'seq'), reg[j])
    end
  end
end
`;

/**
 * Apply a batch, or one node's share of it on a cluster. ARGV[1] is a JSON
 * header `[namespaces, intervals, now]`: namespaces as flattened
 * `[type, key head, names registry key, tag index key base]` (the last two
 * empty on a cluster), intervals as
 * flattened `[token, seconds kept (0 = forever)]`. ARGV[2] is a JSON array
 * of records read with a cursor:
 *
 *     namespace#, name hash, name, nIntervals,
 *       per interval: interval#, nChunks,
 *         per chunk: start, end, nValues, values...
 *
 * Values are count/histogram `field n`, set/series `member`, gauge
 * `field ts value`, fields and members starting `bucket − chunk start:off`.
 * One JSON argument instead of tens of thousands keeps both the client's
 * encoding and the server's parsing cheap; keys are built here.
 *
 * The first pass only reads (EXISTS on every chunk): on a cluster, a key
 * whose slot this node no longer serves fails the script there, before
 * anything is written, so a stale slot map costs a resend, never half a
 * batch. The shebang lets one call span the slots of one node.
 *
 * A chunk key that did not exist gets its TTL (its end + kept seconds, or
 * now + kept when that is already past: the writer's clock is behind), its
 * index entry, and its stat a registry entry scored by that expiry; a
 * chunk that existed already has all three, so steady-state merges cost
 * one check per chunk and one command per merge. Returns the registry
 * entries still to make (`[namespace#, score, name, ...]`, cluster only).
 *
 * With flush ids, ARGV[3] is a JSON array of mark keys, one per flush
 * the call carries (see `marksOf` in redis-store.ts), ARGV[4] how long
 * they are kept. None set: the call is applied and every mark set, with
 * its registry entries (cluster), which a retry whose first reply was lost
 * reports again. All set: an earlier write applied every flush here;
 * nothing is written and what those writes reported is reported again.
 * Some set (flushes merged differently before): nothing is written and the
 * reply is the error `OVERLAP <set> <of>`. Reads only, like pass 1.
 */
export const WRITE = `#!lua flags=allow-cross-slot-keys
${HELPERS}
${TAGS}
${LOG_NEW}
local header = cjson.decode(ARGV[1])
local spaces, ivs, now = header[1], header[2], header[3]

-- Exactly once (see above).
local marks, out = nil, {}
if ARGV[3] then
  marks = cjson.decode(ARGV[3])
  local seen = {}
  for _, key in ipairs(marks) do
    local v = redis.call('GET', key)
    if v then seen[#seen + 1] = v end
  end
  if #seen == #marks then
    for _, v in ipairs(seen) do
      for _, x in ipairs(cjson.decode(v)) do out[#out + 1] = x end
    end
    return out
  end
  if #seen > 0 then return redis.error_reply('OVERLAP ' .. #seen .. ' ' .. #marks) end
end
local p = cjson.decode(ARGV[2])
local n = #p

-- Pass 1 (reads only): every chunk key, and whether it exists.
local keys, fresh = {}, {}
local i = 1
while i <= n do
  local ns, hash, name, nint = p[i], p[i + 1], p[i + 2], p[i + 3]
  i = i + 4
  local head = spaces[4 * ns - 2]
  for _ = 1, nint do
    local tok = ivs[2 * p[i] - 1]
    local nch = p[i + 1]
    i = i + 2
    for _ = 1, nch do
      local key = head .. '{' .. hash .. '}:b:' .. tok .. ':' .. p[i] .. ':' .. name
      keys[#keys + 1] = key
      fresh[#fresh + 1] = redis.call('EXISTS', key) == 0
      i = i + 3 + p[i + 2]
    end
  end
end

-- Move a registry key's expiry later, never earlier; a new key gets it outright.
local function extend(key, at, existed)
  if existed then redis.call('EXPIREAT', key, at, 'GT') else redis.call('EXPIREAT', key, at) end
end

-- Pass 2: merge.
local regs, tag_bases = {}, {}
local k = 0
i = 1
while i <= n do
  local ns, hash, name, nint = p[i], p[i + 1], p[i + 2], p[i + 3]
  i = i + 4
  local kind = spaces[4 * ns - 3]
  local score, created = 0, false
  for _ = 1, nint do
    local iv = p[i]
    local nch = p[i + 1]
    local keep = ivs[2 * iv]
    i = i + 2
    local added = nil
    local latest = 0
    for _ = 1, nch do
      local start, stop, m = p[i], p[i + 1], p[i + 2]
      i = i + 3
      k = k + 1
      local key = keys[k]
      local last = i + m - 1
      if kind == 'count' or kind == 'histogram' then
        for j = i, last, 2 do redis.call('HINCRBYFLOAT', key, p[j], p[j + 1]) end
      elseif kind == 'set' then
        each_chunk('SADD', key, nil, p, i, last)
      elseif kind == 'series' then
        each_chunk('RPUSH', key, nil, p, i, last)
      else
        for j = i, last, 3 do
          local cur = redis.call('HGET', key, p[j])
          -- Ties go to the later write, as in every other store.
          if not cur or tonumber(p[j + 1]) >= tonumber(string.sub(cur, 1, string.find(cur, ':', 1, true) - 1)) then
            redis.call('HSET', key, p[j], p[j + 1] .. ':' .. p[j + 2])
          end
        end
      end
      i = last + 1
      if fresh[k] then
        local at = 0
        if keep > 0 then
          at = stop + keep
          if at <= now then at = now + keep end
          if at > latest then latest = at end
          redis.call('EXPIREAT', key, at)
        end
        added = added or {}
        added[#added + 1] = stop
        added[#added + 1] = start
      end
    end
    if added then
      created = true
      local base = spaces[4 * ns - 2] .. '{' .. hash .. '}:'
      local tok = ivs[2 * iv - 1]
      local idx = base .. 'i:' .. tok .. ':' .. name
      local ivset = base .. 'v:' .. name
      local idx_existed = redis.call('EXISTS', idx) == 1
      each_chunk('ZADD', idx, nil, added, 1, #added)
      if latest > 0 then extend(idx, latest, idx_existed) end
      local iv_existed = redis.call('EXISTS', ivset) == 1
      redis.call('SADD', ivset, tok)
      if latest > 0 then extend(ivset, latest, iv_existed) else redis.call('PERSIST', ivset) end
      if score ~= '+inf' then
        if keep == 0 then score = '+inf' elseif latest > score then score = latest end
      end
    end
  end
  if created then
    local names_key = spaces[4 * ns - 1]
    if names_key == '' then
      out[#out + 1] = ns
      out[#out + 1] = score
      out[#out + 1] = name
    else
      local reg = regs[names_key]
      if not reg then
        reg = {}
        regs[names_key] = reg
        tag_bases[names_key] = spaces[4 * ns]
      end
      reg[#reg + 1] = score
      reg[#reg + 1] = name
    end
  end
end
for key, reg in pairs(regs) do
  log_new(key, tag_bases[key], reg, now)
  each_chunk('ZADD', key, 'GT', reg, 1, #reg)
  for j = 2, #reg, 2 do index_tags(tag_bases[key], reg[j]) end
end
if marks then
  local made = cjson.encode(out)
  for _, key in ipairs(marks) do redis.call('SET', key, made, 'EX', ARGV[4]) end
end
return out
`;

/**
 * Register names in a cluster, where the registry lives in a slot of its own (the tag index shares it).
 * KEYS[1] = registry; ARGV[1] = JSON `[score, name, ...]`, ARGV[2] = the tag index's key base, ARGV[3] = now
 * (names are logged for `listAfter` as in WRITE, see redis-list-after.ts).
 */
export const REGISTER = `${HELPERS}
${TAGS}
${LOG_NEW}
local reg = cjson.decode(ARGV[1])
log_new(KEYS[1], ARGV[2], reg, tonumber(ARGV[3]))
each_chunk('ZADD', KEYS[1], 'GT', reg, 1, #reg)
for j = 2, #reg, 2 do index_tags(ARGV[2], reg[j]) end
return 1
`;

/**
 * Take names that left the registry out of the tag index and the
 * registration log (ones registered again meanwhile stay: registered names
 * are always indexed). KEYS[1] =
 * registry; ARGV[1] = tag key base, ARGV[2] = JSON names.
 */
export const UNTAG = `${TAGS}
for _, name in ipairs(cjson.decode(ARGV[2])) do
  if not redis.call('ZSCORE', KEYS[1], name) then
    unindex_tags(ARGV[1], name)
    redis.call('ZREM', ARGV[1] .. 'log', name)
  end
end
return 1
`;

/**
 * Names meeting every condition, intersected by Redis itself: a condition
 * of one value is its set, one of several the union of theirs (in a
 * scratch key under the index's base, dropped before the script ends); the
 * intersection is then kept to names whose registry score is after now (as
 * `list`). KEYS[1] = registry; ARGV = tag key base, now, JSON
 * `[[tag, [value, ...]], ...]`. Unsorted.
 */
export const FIND_TAGGED = `${HELPERS}
local tb, now = ARGV[1], tonumber(ARGV[2])
local conds = cjson.decode(ARGV[3])
local keys, scratch = {}, {}
for c, cond in ipairs(conds) do
  local sets = {}
  for j, v in ipairs(cond[2]) do sets[j] = tb .. 's:' .. cond[1] .. '=' .. v end
  if #sets == 1 then
    keys[c] = sets[1]
  else
    local tmp = tb .. 'scratch:' .. c
    redis.call('DEL', tmp)
    each_chunk('SUNIONSTORE', tmp, tmp, sets, 1, #sets)
    keys[c] = tmp
    scratch[#scratch + 1] = tmp
  end
end
local names = redis.call('SINTER', unpack(keys))
if #scratch > 0 then redis.call('DEL', unpack(scratch)) end
local out = {}
local j = 1
while j <= #names do
  local k = math.min(j + CHUNK - 1, #names)
  local scores = redis.call('ZMSCORE', KEYS[1], unpack(names, j, k))
  for i = j, k do
    local score = scores[i - j + 1]
    if score and (score == 'inf' or tonumber(score) > now) then out[#out + 1] = names[i] end
  end
  j = k + 1
end
return out
`;

/** Values of a tag with the size of each value's set. KEYS[1] = the tag's value set; ARGV = set key head, min, max, limit (-1: all). */
export const TAG_COUNTS = `
local vals
if tonumber(ARGV[4]) < 0 then vals = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3])
else vals = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, ARGV[4]) end
local out = {}
for _, v in ipairs(vals) do
  out[#out + 1] = v
  out[#out + 1] = redis.call('SCARD', ARGV[1] .. v)
end
return out
`;

/** Bucket start of a chunk member or field (`bucket − chunk start:...`), given the chunk start. */
const BUCKET_OF = "local function bucket_of(f, start) return start + tonumber(string.match(f, '^(%d+):')) end";

/** Every member or field of a chunk, by type. */
const ITEMS_OF = `local function items_of(kind, key)
  if kind == 'set' then return redis.call('SMEMBERS', key)
  elseif kind == 'series' then return redis.call('LRANGE', key, 0, -1)
  else return redis.call('HKEYS', key) end
end`;

/**
 * Chunks of one stat and interval that overlap buckets first..last.
 * KEYS[1] = index; ARGV = first, last, chunk key head, key tail, type.
 * Returns `{start, contents, ...}`; the caller drops buckets outside the range.
 */
export const READ = `
local kind = ARGV[5]
local last = tonumber(ARGV[2])
local out = {}
-- Scored by chunk end: every chunk ending after first, until one starts after last.
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  if tonumber(c) > last then break end
  local key = ARGV[3] .. c .. ARGV[4]
  local data
  if kind == 'set' then data = redis.call('SMEMBERS', key)
  elseif kind == 'series' then data = redis.call('LRANGE', key, 0, -1)
  else data = redis.call('HGETALL', key) end
  if #data > 0 then
    out[#out + 1] = c
    out[#out + 1] = data
  end
end
return out
`;

/**
 * First and last bucket of each interval of one stat. KEYS[1] = its
 * interval set; ARGV = key base, key tail (`:name`), type. Index entries
 * whose chunk has expired by TTL are dropped on the way. Returns
 * `{token, first, last, ...}`.
 */
export const PROPERTIES = `
${BUCKET_OF}
${ITEMS_OF}
local out = {}
local base, tail, kind = ARGV[1], ARGV[2], ARGV[3]
for _, tok in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local idx = base .. 'i:' .. tok .. tail
  local head = base .. 'b:' .. tok .. ':'
  local ends = {}
  for side, at in ipairs({ 0, -1 }) do
    while true do
      local c = redis.call('ZRANGE', idx, at, at)[1]
      if not c then break end
      local items = items_of(kind, head .. c .. tail)
      if #items > 0 then
        local start = tonumber(c)
        local best = bucket_of(items[1], start)
        for j = 2, #items do
          local b = bucket_of(items[j], start)
          if (side == 1 and b < best) or (side == 2 and b > best) then best = b end
        end
        ends[side] = best
        break
      end
      redis.call('ZREM', idx, c)
    end
  end
  if ends[1] then
    out[#out + 1] = tok
    out[#out + 1] = tostring(ends[1])
    out[#out + 1] = tostring(ends[2])
  else
    redis.call('SREM', KEYS[1], tok)
  end
end
return out
`;

/**
 * Delete buckets of one stat and interval starting before ARGV[1]: whole
 * chunks that end by then, and the older buckets of the chunk that
 * straddles it. KEYS = index, interval set; ARGV = before, chunk key head,
 * key tail, interval token, type. Returns how many intervals the stat
 * still has (0: the caller drops it from the names registry).
 */
export const EXPIRE = `${HELPERS}
${BUCKET_OF}
${ITEMS_OF}
local before = tonumber(ARGV[1])
local head, tail, kind = ARGV[2], ARGV[3], ARGV[5]
local keys = {}
for j, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before)) do keys[j] = head .. c .. tail end
each_chunk('DEL', nil, nil, keys, 1, #keys)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', before)
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. before, '+inf')) do
  if tonumber(c) >= before then break end
  local key = head .. c .. tail
  local items = items_of(kind, key)
  local start = tonumber(c)
  local old, keep = {}, {}
  for _, f in ipairs(items) do
    if bucket_of(f, start) < before then old[#old + 1] = f else keep[#keep + 1] = f end
  end
  if #old > 0 then
    if kind == 'series' then
      -- A list can't drop items by position cheaply: rewrite it, keeping order and TTL.
      local ttl = redis.call('PTTL', key)
      redis.call('DEL', key)
      each_chunk('RPUSH', key, nil, keep, 1, #keep)
      if ttl > 0 and #keep > 0 then redis.call('PEXPIRE', key, ttl) end
    elseif kind == 'set' then
      each_chunk('SREM', key, nil, old, 1, #old)
    else
      each_chunk('HDEL', key, nil, old, 1, #old)
    end
  end
  if redis.call('EXISTS', key) == 0 then redis.call('ZREM', KEYS[1], c) end
end
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
  register: script("register", REGISTER),
  untag: script("untag", UNTAG),
  findTagged: script("findTagged", FIND_TAGGED),
  tagCounts: script("tagCounts", TAG_COUNTS),
  read: script("read", READ),
  properties: script("properties", PROPERTIES),
  expire: script("expire", EXPIRE),
  delete: script("delete", DELETE),
} as const;
