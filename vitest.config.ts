import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // A hang guard, not a speed check: the CLI tests start several Node processes each, which at a load of 15
    // on two cores (a loaded CI machine, or helpers at work) took longer than 30 s and failed for no fault of theirs.
    testTimeout: 90_000,
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
