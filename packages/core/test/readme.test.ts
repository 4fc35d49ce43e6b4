import { itCompilesEveryReadmeExample, readmeConsumer } from '@tinytown/testkit';
import { describe } from 'vitest';

const readme = readmeConsumer(import.meta.url);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  itCompilesEveryReadmeExample(readme);
});
