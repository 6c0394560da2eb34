//! The Lua scripts of the Redis backend: what must happen atomically even when several nodes
//! write the same room at once.

/// Appends records to a room's log atomically and returns the last sequence number.
/// KEYS: the counter, the stream. ARGV: six values per record: update, at_ms, node, connection,
/// "1" or "0" (has a participant), participant.
///
/// The next number follows the larger of the counter and the stream's newest entry, so that
/// neither a lost counter nor a trimmed stream can make Redis refuse an id (or reuse one).
/// Everything is checked before the first write: Redis does not roll a script back, so a
/// failure halfway would leave a partial batch. Lua numbers are doubles: sequence numbers are
/// exact up to 2^53, far beyond any room.
pub(super) const APPEND_SCRIPT: &str = r"
if #ARGV % 6 ~= 0 then
  return redis.error_reply('ERR cocreate append: arguments are not whole records')
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if not last then
  return redis.error_reply('ERR cocreate append: sequence counter is not a number')
end
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if newest then
  local newest_seq = tonumber(string.match(newest[1], '^(%d+)-'))
  if newest_seq > last then
    last = newest_seq
  end
end
for i = 1, #ARGV, 6 do
  last = last + 1
  local id = string.format('%d-0', last)
  if ARGV[i + 4] == '1' then
    redis.call('XADD', KEYS[2], id, 'u', ARGV[i], 't', ARGV[i + 1], 'n', ARGV[i + 2],
      'c', ARGV[i + 3], 'p', ARGV[i + 5])
  else
    redis.call('XADD', KEYS[2], id, 'u', ARGV[i], 't', ARGV[i + 1], 'n', ARGV[i + 2],
      'c', ARGV[i + 3])
  end
end
redis.call('SET', KEYS[1], string.format('%d', last))
return last
";

/// Stores a checkpoint unless one covering as much or more is stored; returns 1 if stored.
/// KEYS: the checkpoint hash. ARGV: covers (decimal), state. The numbers are compared as
/// decimal text (longer is larger, then text order) so that every u64 compares exactly.
pub(super) const SAVE_CHECKPOINT_SCRIPT: &str = r"
local stored = redis.call('HGET', KEYS[1], 'covers')
if stored and (#stored > #ARGV[1] or (#stored == #ARGV[1] and stored >= ARGV[1])) then
  return 0
end
redis.call('HSET', KEYS[1], 'covers', ARGV[1], 'state', ARGV[2])
return 1
";
