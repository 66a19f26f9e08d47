import { defineConfig } from '@playwright/test'
import type { Target } from './test/e2e/fixtures'

/**
 * One set of specs, two projects. `browser` drives Debian's Chromium against serve mode with the real core;
 * `electron` drives the desktop app and runs only where an Electron runtime is installed (it reports its
 * tests as skipped, with the reason, elsewhere).
 */
export default defineConfig<{ target: Target }>({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    locale: 'en-GB',
  },
  projects: [
    {
      name: 'browser',
      // What only the desktop shell has (the app:// protocol, its headers, navigation guards).
      testIgnore: '**/electron-*.spec.ts',
      use: {
        target: 'browser' satisfies Target,
        launchOptions: {
          executablePath: process.env.FIELDLINE_CHROMIUM ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
        },
      },
    },
    {
      name: 'electron',
      use: { target: 'electron' satisfies Target },
    },
  ],
})
