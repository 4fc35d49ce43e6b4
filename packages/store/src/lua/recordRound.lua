-- Counts a finished round (a script so that the roster revision moves with it).
redis.call('HINCRBY', key('agent', A.id), 'rounds_completed', 1)
