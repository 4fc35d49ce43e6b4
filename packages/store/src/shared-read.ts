/**
 * Wraps a read so that concurrent callers share calls. A call is sent only after each of its callers
 * asked, so it observes every write that had completed before any of them did. Callers wait for the
 * next call: it goes out at the end of the turn they asked in (setImmediate) when none is in flight,
 * else as soon as the one in flight returns. A server answering many requests at once then makes at
 * most one round trip per turn, and under load one per round-trip time, however many requests come.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let next: Promise<T> | null = null;
  let inFlight: Promise<void> | null = null;
  const send = (resolve: (value: T) => void, reject: (error: unknown) => void) => {
    next = null;
    const settled = read().then(resolve, reject);
    inFlight = settled;
    void settled.then(() => {
      if (inFlight === settled) inFlight = null;
    });
  };
  return () => {
    next ??= new Promise<T>((resolve, reject) => {
      if (inFlight) void inFlight.then(() => send(resolve, reject));
      else setImmediate(() => send(resolve, reject));
    });
    return next;
  };
}
