-- Queues a message for an agent (or the conductor) and records it in the town's capped history.
ensure_recipient(A.to)
push_message(A.to, A.message, A.urgent)
redis.call('LPUSH', key('history'), A.message)
redis.call('LTRIM', key('history'), 0, A.history_max - 1)
return 1
