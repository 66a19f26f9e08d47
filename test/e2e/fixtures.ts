import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, _electron, type ElectronApplication, type Page } from '@playwright/test'
import { findElectronRuntime } from '../../scripts/electron-runtime.mjs'
import { missingService } from '../helpers/system'

export type Target = 'browser' | 'electron'

export interface ServeProcess {
  url: string
  origin: string
  token: string
  /** The serve process's id, to stop or kill it the way an operator or a crash would. */
  pid: number
  stop(): Promise<void>
}

/** Starts the built CLI in serve mode on a free port (or on `port`) and waits for the line that carries the URL. */
export async function startServe(dataDir: string, port?: number): Promise<ServeProcess> {
  const args = ['out/main/cli.js', '--data-dir', dataDir, 'serve', ...(port === undefined ? [] : ['--port', String(port)])]
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.hash.replace('#token=', ''),
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        // Already gone (a test may kill it): exitCode stays null for a process ended by a signal.
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** The app's window once the renderer is ready; it must come from the app:// protocol, never from file://. */
async function appWindow(electronApp: ElectronApplication): Promise<Page> {
  const page = await electronApp.firstWindow()
  await page.waitForSelector('[data-app-state="ready"]')
  const url = new URL(page.url())
  if (url.protocol !== 'app:' || url.host !== 'fieldline') throw new Error(`the Electron window shows ${page.url()}, not app://fieldline/`)
  return page
}

export interface FieldlineApp {
  page: Page
  dataDir: string
  /** The running serve process (browser target only). */
  serve: ServeProcess | null
  /** Stops the app and starts it again on the same data directory, as an operator relaunching it. */
  restart(): Promise<Page>
}

export const test = base.extend<{ target: Target; app: FieldlineApp }>({
  target: ['browser', { option: true }],
  // Launches its own Chromium (not the `browser` fixture) so that the electron project never starts one.
  // A spec's `timezoneId` (test.use) is the window's zone: the browser context's, or the Electron process's TZ.
  app: async ({ target, playwright, timezoneId }, use, testInfo) => {
    const zone: Record<string, string> = timezoneId ? { TZ: timezoneId } : {}
    const dataDir = await mkdtemp(join(tmpdir(), 'fieldline-e2e-'))
    try {
      if (target === 'electron') {
        const runtime = findElectronRuntime()
        // The hosted CI sets FIELDLINE_ELECTRON_REQUIRED: there a missing runtime is a failure, not a skip.
        if (runtime.reason && process.env.FIELDLINE_ELECTRON_REQUIRED === '1') throw new Error(`electron project: ${runtime.reason} (FIELDLINE_ELECTRON_REQUIRED=1)`)
        testInfo.skip(!('binary' in runtime), `electron project: ${'reason' in runtime ? runtime.reason : ''}; the same specs run in the browser project`)
        let electronApp = await _electron.launch({ executablePath: runtime.binary, args: ['.'], env: { ...process.env, ...zone, FIELDLINE_DATA_DIR: dataDir } })
        let page = await appWindow(electronApp)
        await use({
          get page() {
            return page
          },
          dataDir,
          serve: null,
          async restart() {
            await electronApp.close()
            electronApp = await _electron.launch({ executablePath: runtime.binary, args: ['.'], env: { ...process.env, ...zone, FIELDLINE_DATA_DIR: dataDir } })
            page = await appWindow(electronApp)
            return page
          },
        })
        await electronApp.close()
        return
      }
      const chromium = process.env.FIELDLINE_CHROMIUM ?? '/usr/bin/chromium'
      const skip = missingService('chromium', existsSync(chromium) ? null : `${chromium} not found (apt-get install chromium)`)
      testInfo.skip(skip !== null, skip ?? '')
      let serve = await startServe(dataDir)
      const browser = await playwright.chromium.launch({ ...testInfo.project.use.launchOptions, executablePath: chromium })
      const context = await browser.newContext({ locale: 'en-GB', ...(timezoneId ? { timezoneId } : {}) })
      let page = await context.newPage()
      await page.goto(serve.url)
      await page.waitForSelector('[data-app-state="ready"]')
      await use({
        get page() {
          return page
        },
        dataDir,
        get serve() {
          return serve
        },
        async restart() {
          await page.close()
          await serve.stop()
          serve = await startServe(dataDir)
          page = await context.newPage()
          await page.goto(serve.url)
          await page.waitForSelector('[data-app-state="ready"]')
          return page
        },
      })
      await browser.close()
      await serve.stop()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  },
})

export { expect } from '@playwright/test'
