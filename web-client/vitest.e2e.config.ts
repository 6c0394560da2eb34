import { defineConfig } from 'vitest/config'

// Browser tests: one file at a time (each starts its own server and Chromium), generous but
// bounded timeouts for a 2-core machine.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['verbose']
  }
})
