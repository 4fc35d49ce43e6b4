import { defineConfig } from 'vitest/config';

// Generous timeouts: CI runs every suite on two cores, and these drive whole missions through Redis.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
