/**
 * Electron entry point (out/main/index.js): app lifecycle only. The core does the work; this file wires
 * it to a hardened window and the IPC transport.
 */
import { app, BrowserWindow, dialog, protocol, session } from 'electron'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore, type Core } from '../core/app'
import { restrictNewFiles } from '../core/common/private-fs'
import { createKeytarStore } from '../core/vault/keytar.store'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, createAppProtocolHandler } from './app-protocol'
import { registerIpc, TrustedViews } from './ipc'
import { installApplicationMenu } from './menu'
import { checkNativeModules, NativeModuleError, requireFrom } from './native-modules'
import { hardenSession, installGlobalGuards, openExternalIfAllowed } from './security'
import { startupFailure, startupLanguage } from './startup-messages'
import { createHardenedWindow, rendererDevUrl } from './window-options'

// Resolved from the built file (out/main/index.js), so they hold wherever the app is installed.
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))
const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url))
const devUrl = rendererDevUrl(process.env.ELECTRON_RENDERER_URL, app.isPackaged)
const appUrl = devUrl ?? APP_URL

// Before anything writes: the workspace, the logs and Chromium's own files in userData are the operator's alone.
restrictNewFiles()

/** How long shutdown waits for the core to flush before quitting anyway. */
const CORE_CLOSE_TIMEOUT_MS = 10_000

// Set before the single-instance lock, which is keyed on userData: separate data directories (tests,
// a second workspace) get separate instances, and Chromium's own files sit beside the workspace.
const dataDirOverride = process.env.FIELDLINE_DATA_DIR
if (dataDirOverride) app.setPath('userData', resolve(dataDirOverride))

if (app.requestSingleInstanceLock()) {
  run()
} else {
  app.quit()
}

function run(): void {
  // Privileges can only be given before 'ready'.
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])
  app.enableSandbox()
  installGlobalGuards(appUrl)

  const views = new TrustedViews()
  let core: Core | undefined
  let disposeIpc: (() => void) | undefined
  let mainWindow: BrowserWindow | undefined

  const createWindow = (): BrowserWindow => {
    const win = createHardenedWindow(BrowserWindow, preloadPath)
    views.add(win.webContents)
    win.once('ready-to-show', () => win.show())
    win.loadURL(appUrl).catch((error: unknown) => fail(error))
    return win
  }

  const closeCore = async (): Promise<void> => {
    disposeIpc?.()
    disposeIpc = undefined
    const closing = core
    core = undefined
    if (!closing) return
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((done) => {
      timer = setTimeout(done, CORE_CLOSE_TIMEOUT_MS)
    })
    try {
      await Promise.race([closing.close(), timeout])
    } catch (error) {
      console.error('Fieldline: closing the workspace failed', error)
    } finally {
      clearTimeout(timer)
    }
  }

  const fail = (error: unknown): void => {
    const { title, message } = startupFailure(error, startupLanguage(app.getPreferredSystemLanguages()))
    dialog.showErrorBox(title, message)
    void closeCore().finally(() => app.exit(1))
  }

  const start = async (): Promise<void> => {
    // Before anything loads them: a binary built for the wrong runtime is named here, not deep in the workspace.
    const problems = checkNativeModules(requireFrom(import.meta.url))
    for (const problem of problems) console.error(`Fieldline: native module ${problem.module}: ${problem.kind}: ${problem.detail}`)
    if (problems[0]?.blocking) throw new NativeModuleError(problems[0])
    hardenSession(session.defaultSession)
    protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir))
    installApplicationMenu()
    core = await createCore({
      dataDir: app.getPath('userData'),
      mode: 'electron',
      vault: createKeytarStore(),
      openExternal: openExternalIfAllowed,
    })
    disposeIpc = registerIpc({ dispatcher: core.dispatcher, bus: core.bus, views, appUrl, logger: core.logger })
    mainWindow = createWindow()
  }

  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      if (core) mainWindow = createWindow()
      return
    }
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.show()
    mainWindow.focus()
  })

  // macOS apps stay alive without windows and reopen one from the dock.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (core && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })

  // Acknowledged writes must reach disk: quitting waits for the core, then quits for real.
  app.on('will-quit', (event) => {
    if (!core) return
    event.preventDefault()
    void closeCore().finally(() => app.quit())
  })

  app.whenReady().then(start).catch(fail)
}
