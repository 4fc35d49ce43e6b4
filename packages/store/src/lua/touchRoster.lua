-- Moves the roster revision after a change made outside a script (a blocking pop, a snapshot import).
-- The body is empty: the revision moves after every script that is not roster-neutral (scripts.ts).
return 0
