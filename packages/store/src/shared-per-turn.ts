/**
 * Wraps a read so that every caller in one turn of the event loop shares a single call. The call is made
 * once the turn ends (setImmediate), after each of its callers asked, so it observes every write that
 * had completed before any of them did; callers arriving once it has gone out wait for the next one.
 * A server answering many requests at once makes one round trip per turn instead of one per request.
 */
export function sharedPerTurn<T>(read: () => Promise<T>): () => Promise<T> {
  let next: Promise<T> | null = null;
  return () => {
    next ??= new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        next = null;
        read().then(resolve, reject);
      });
    });
    return next;
  };
}
