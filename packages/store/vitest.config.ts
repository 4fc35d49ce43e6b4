import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // Lua scripts are imported as strings (tsup does the same with its text loader).
      name: 'lua-as-text',
      load(id) {
        if (id.endsWith('.lua')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
        return undefined;
      },
    },
  ],
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
