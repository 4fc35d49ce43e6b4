export { runWithClosedStdout } from './closed-pipe.js';
export { consumerDiagnostics, readmeExamples, strictConsumer } from './consumer-types.js';
export { dumpKeys } from './dump-keys.js';
export * from './fake-github.js';
export { freePort, startTestRedis, type TestRedis, type TestRedisOptions } from './redis-server.js';
export { itCompilesEveryReadmeExample, type ReadmeConsumer, readmeConsumer } from './vitest-readme.js';
export { useTestRedis } from './vitest-redis.js';
