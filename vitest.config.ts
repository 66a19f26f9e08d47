import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store tests open LevelDB directories and spawn processes; files run in parallel, tests inside in order.
    pool: 'forks',
    // A test that asserts nothing cannot fail: every test must make at least one assertion.
    expect: { requireAssertions: true },
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], environment: 'node' },
      },
      {
        // The renderer's logic under Node: Svelte compiles the rune classes (*.svelte.ts); the api is a fake.
        extends: true,
        plugins: [svelte()],
        test: { name: 'renderer', include: ['test/renderer/**/*.test.ts'], environment: 'node' },
      },
    ],
  },
})
