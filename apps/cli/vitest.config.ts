import { defineConfig } from 'vitest/config';

// The tests run the built `tt` (dist/main.js): `pnpm build` first (turbo's test task does).
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
