package redisledger

import (
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// reapEvery is how often, at most, a script looks for workers whose lease lapsed (the janitor
// step): a lookup costs a SMEMBERS and an EXISTS per worker.
const reapEveryMS = 100

// The scripts share one calling convention. KEYS: 1 the run's state (a hash), 2 the set of
// live workers, 3 the set of workers declared dead, 4 the waiters' flag (a key with a TTL), 5
// this worker's lease (a key with a TTL), 6 this worker's reservations (a hash: ID to units).
// ARGV: 1 the run's key prefix, 2 this worker's name, 3 "1" when the call is a retry of one
// whose reply was lost, then the script's own arguments.
//
// Money is in integer units (nano-USD) held as decimal strings. Every addition to stored money
// is HINCRBY with a string increment: Redis adds 64-bit integers exactly. Lua (whose numbers
// are doubles) only compares: see the package documentation for why those comparisons are
// exact. A Lua number is never passed to redis.call as money: Redis would format it with
// %.14g.
const prelude = `
local state, workers, reaped, waitflag, lease, res = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local prefix, me, retry = ARGV[1], ARGV[2], ARGV[3]
local wakechan = prefix .. 'wake'

-- wake tells the waiting Reserves of every worker to look again, if any waits.
local function wake()
  if redis.call('EXISTS', waitflag) == 1 then
    redis.call('PUBLISH', wakechan, '1')
  end
end

-- bury declares worker w dead: every reservation it holds is charged at its full amount,
-- flagged estimated (the request may have been billed), and kept under its dead key so that a
-- late settle can still add what it cost above that. It returns the priced reservations freed.
local function bury(w)
  local key, dead = prefix .. 'res:' .. w, prefix .. 'dead:' .. w
  local all = redis.call('HGETALL', key)
  local n, priced = 0, 0
  for i = 1, #all, 2 do
    local a = all[i + 1]
    n = n + 1
    if a ~= '0' then
      priced = priced + 1
      redis.call('HINCRBY', state, 'reserved', '-' .. a)
      redis.call('HINCRBY', state, 'spent', a)
      redis.call('HINCRBY', state, 'estimated', a)
    end
  end
  if n > 0 then
    redis.call('HINCRBY', state, 'inflight', -n)
    redis.call('HINCRBY', state, 'priced', -priced)
    redis.call('HINCRBY', state, 'abandoned', n)
    redis.call('RENAME', key, dead)
    redis.call('PEXPIRE', dead, redis.call('HGET', state, 'ttl'))
  end
  redis.call('SREM', workers, w)
  redis.call('SADD', reaped, w)
  return priced
end

-- alive answers 'ok' when this worker may go on: the run's state exists ('gone' if not: Redis
-- lost it) and this worker's lease has not lapsed ('lost' if it has: it is buried now if it was
-- not yet). At most every reapEvery ms it also buries the other workers whose lease lapsed.
local function alive()
  if redis.call('EXISTS', state) == 0 then
    return 'gone'
  end
  if redis.call('EXISTS', lease) == 0 then
    if redis.call('SISMEMBER', reaped, me) == 0 and bury(me) > 0 then
      wake()
    end
    return 'lost'
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now >= tonumber(redis.call('HGET', state, 'reap_at')) then
    redis.call('HSET', state, 'reap_at', string.format('%.0f', now + REAP_EVERY_MS))
    local freed = 0
    for _, w in ipairs(redis.call('SMEMBERS', workers)) do
      if redis.call('EXISTS', prefix .. 'lease:' .. w) == 0 then
        freed = freed + bury(w)
      end
    end
    if freed > 0 then
      wake()
    end
  end
  return 'ok'
end
`

// joinScript: ARGV 4 the budget in units ("" unlimited), 5 the lease TTL (ms), 6 the run's TTL
// (ms). It creates the run's state, or checks that the run's budget is this worker's, and
// starts this worker's lease. Answers: {'ok'}, {'budget', the run's budget}, {'taken'} (the
// worker's name is in use or was declared dead).
var joinScript = newScript(`
if redis.call('EXISTS', state) == 0 then
  redis.call('HSET', state, 'budget', ARGV[4], 'spent', '0', 'reserved', '0', 'estimated', '0',
    'largest', '0', 'priced', '0', 'inflight', '0', 'settled', '0', 'overruns', '0',
    'misuses', '0', 'abandoned', '0', 'exhausted', '0', 'reap_at', '0', 'ttl', ARGV[6])
elseif redis.call('HGET', state, 'budget') ~= ARGV[4] then
  return {'budget', redis.call('HGET', state, 'budget')}
end
if redis.call('SISMEMBER', reaped, me) == 1 or redis.call('EXISTS', lease) == 1 then
  return {'taken'}
end
redis.call('SADD', workers, me)
redis.call('SET', lease, '1', 'PX', ARGV[5])
for _, k in ipairs({state, workers, reaped}) do
  redis.call('PEXPIRE', k, ARGV[6])
end
return {'ok'}
`)

// renewScript: ARGV 4 the lease TTL (ms). It renews this worker's lease and the TTL of the
// run's keys. Answers: {'ok'}, {'lost'}, {'gone'}.
var renewScript = newScript(`
local status = alive()
if status ~= 'ok' then
  return {status}
end
redis.call('PEXPIRE', lease, ARGV[4])
local ttl = redis.call('HGET', state, 'ttl')
for _, k in ipairs({state, workers, reaped, res}) do
  redis.call('PEXPIRE', k, ttl)
end
return {'ok'}
`)

// reserveScript: ARGV 4 the reservation's ID, 5 its worst case in units, 6 the waiters' flag
// TTL (ms). It does what meter.Local.Reserve does under its lock. Answers: {'ok'}, {'wait'},
// {'exhausted'}, {'lost'}, {'gone'}.
var reserveScript = newScript(`
local status = alive()
if status ~= 'ok' then
  return {status}
end
local id, worst = ARGV[4], ARGV[5]
if redis.call('HEXISTS', res, id) == 1 then
  return {'ok'} -- an earlier attempt of this call was granted; its reply was lost
end
local s = redis.call('HMGET', state, 'budget', 'spent', 'reserved', 'priced', 'exhausted', 'largest')
if s[5] == '1' then
  return {'exhausted'}
end
local w = tonumber(worst)
if w > tonumber(s[6]) then
  redis.call('HSET', state, 'largest', worst)
end
if s[1] == '' or w == 0 or tonumber(s[2]) + tonumber(s[3]) + w <= tonumber(s[1]) then
  redis.call('HSET', res, id, worst)
  redis.call('HINCRBY', state, 'inflight', 1)
  if w > 0 then
    redis.call('HINCRBY', state, 'reserved', worst)
    redis.call('HINCRBY', state, 'priced', 1)
  end
  return {'ok'}
end
if tonumber(s[4]) == 0 then
  -- Nothing priced is in flight anywhere in the run: no settle can make room, ever.
  redis.call('HSET', state, 'exhausted', '1')
  redis.call('PUBLISH', wakechan, '1')
  return {'exhausted'}
end
redis.call('SET', waitflag, '1', 'PX', ARGV[6])
return {'wait'}
`)

// settleScript: ARGV 4 the reservation's ID, 5 "settle" or "release", 6 the actual cost in
// units, 7 its estimated part, 8 "1" if the charge is valid. It does what meter.Local.Settle
// and ReleaseErr do under their lock. Answers: {'ok', amount}, {'overrun', amount},
// {'invalid', amount}, {'unknown'}, {'retried'} (a retry found nothing: the lost attempt did
// it), {'lost', amount or ”} (this worker was declared dead: its reservations were charged in
// full; a settle above the amount adds the excess), {'gone'}.
var settleScript = newScript(`
local id, op, actual, estimated, valid = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local status = alive()
if status == 'lost' then
  local dead = prefix .. 'dead:' .. me
  local a = redis.call('HGET', dead, id)
  if not a then
    return {'lost', ''}
  end
  redis.call('HDEL', dead, id)
  if op == 'settle' and valid == '1' and tonumber(actual) > tonumber(a) then
    -- Both are below 2^53: the difference is exact.
    redis.call('HINCRBY', state, 'spent', string.format('%.0f', tonumber(actual) - tonumber(a)))
    redis.call('HINCRBY', state, 'overruns', 1)
  end
  return {'lost', a}
end
if status ~= 'ok' then
  return {status}
end
local a = redis.call('HGET', res, id)
if not a then
  if retry == '1' then
    return {'retried'}
  end
  redis.call('HINCRBY', state, 'misuses', 1)
  return {'unknown'}
end
redis.call('HDEL', res, id)
redis.call('HINCRBY', state, 'inflight', -1)
if a ~= '0' then
  redis.call('HINCRBY', state, 'reserved', '-' .. a)
  redis.call('HINCRBY', state, 'priced', -1)
  wake()
end
if op == 'release' then
  return {'ok', a}
end
redis.call('HINCRBY', state, 'settled', 1)
if valid ~= '1' then
  redis.call('HINCRBY', state, 'misuses', 1)
  redis.call('HINCRBY', state, 'spent', a)
  redis.call('HINCRBY', state, 'estimated', a)
  return {'invalid', a}
end
if actual ~= '0' then
  redis.call('HINCRBY', state, 'spent', actual)
end
if estimated ~= '0' then
  redis.call('HINCRBY', state, 'estimated', estimated)
end
if tonumber(actual) > tonumber(a) then
  redis.call('HINCRBY', state, 'overruns', 1)
  return {'overrun', a}
end
return {'ok', a}
`)

// leaveScript: ARGV 4... the IDs of the reservations this worker still holds (sent, never
// settled: a settle that could not be recorded). Those are charged at their full amount,
// flagged estimated; any other reservation of this worker in Redis was never granted to its
// caller (an attempt whose reply was lost, then given up) and is released. The worker leaves
// the run. Answers: {'ok'}, {'lost'}, {'gone'}.
var leaveScript = newScript(`
local status = alive()
if status ~= 'ok' then
  return {status}
end
local held = {}
for i = 4, #ARGV do
  held[ARGV[i]] = true
end
local all = redis.call('HGETALL', res)
local n, priced, charged = 0, 0, 0
for i = 1, #all, 2 do
  local id, a = all[i], all[i + 1]
  n = n + 1
  if a ~= '0' then
    priced = priced + 1
    redis.call('HINCRBY', state, 'reserved', '-' .. a)
    if held[id] then
      redis.call('HINCRBY', state, 'spent', a)
      redis.call('HINCRBY', state, 'estimated', a)
    end
  end
  if held[id] then
    charged = charged + 1
  end
end
if n > 0 then
  redis.call('HINCRBY', state, 'inflight', -n)
  redis.call('HINCRBY', state, 'priced', -priced)
  redis.call('HINCRBY', state, 'abandoned', charged)
end
redis.call('DEL', res, lease)
redis.call('SREM', workers, me)
if priced > 0 then
  wake()
end
return {'ok'}
`)

// snapshotFields are the state's fields Snapshot reads, with one HMGET: one command, so one
// instant.
var snapshotFields = []string{"budget", "spent", "reserved", "estimated", "largest", "inflight",
	"settled", "overruns", "misuses", "exhausted", "abandoned"}

func newScript(body string) *redis.Script {
	src := strings.ReplaceAll(prelude, "REAP_EVERY_MS", strconv.Itoa(reapEveryMS)) + body
	return redis.NewScript(src)
}
