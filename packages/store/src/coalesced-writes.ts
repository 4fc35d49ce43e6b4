import type { Redis } from 'ioredis';

/**
 * Makes a connection send what it is given in one turn of the event loop as a single write at the end
 * of that turn (setImmediate). A server answering many requests at once issues their commands from
 * separate socket callbacks; written one by one, each is a syscall that also wakes Redis, and under
 * load those writes were a fifth of townhall's CPU. Corked, they leave in one writev, which Redis reads
 * and answers in one go. ioredis' own auto-pipelining flushes on process.nextTick, inside each
 * callback, so it never gathers the commands of two requests.
 *
 * Only for a connection this package opened: it wraps the instance's `sendCommand`.
 */
export function coalesceWritesPerTurn(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  let corked = false;
  redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    const socket = redis.stream;
    // Before `ready` ioredis queues commands itself and writes them out when the connection opens.
    if (!corked && socket && redis.status === 'ready') {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(...args);
  };
}
