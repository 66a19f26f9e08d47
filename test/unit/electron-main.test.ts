import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EventBus } from '../../src-main/core/common/events'

// The lifecycle runs against fakes: requiring the real 'electron' from Node tries to download the runtime,
// and the real core would open a workspace.
const fake = vi.hoisted(() => {
  const state = {
    lock: true,
    packaged: false,
    appEvents: new Map<string, ((...args: unknown[]) => void)[]>(),
    calls: [] as string[],
    paths: new Map<string, string>([['userData', '/home/op/.config/Fieldline']]),
    windows: [] as FakeWindowShape[],
    errorBoxes: [] as [string, string][],
    exitCode: undefined as number | undefined,
    createCore: undefined as unknown as (options: Record<string, unknown>) => Promise<unknown>,
    ready: undefined as unknown as () => void,
    readyPromise: undefined as unknown as Promise<void>,
    ipcChannels: new Set<string>(),
    menu: undefined as unknown,
    languages: ['en-GB'] as string[],
    privileged: [] as unknown[],
    protocols: new Map<string, (request: Request) => Promise<Response>>(),
    /** What loading each native module does: undefined loads it, an Error is thrown by the loader. */
    native: new Map<string, Error>(),
    nativeLoads: [] as string[],
  }
  interface FakeWindowShape {
    options: Record<string, unknown>
    loaded: string | undefined
    shown: number
    focused: number
    restored: number
    minimized: boolean
    destroyed: boolean
    webContents: { id: number }
    emit(name: string, ...args: unknown[]): boolean
  }
  return state
})

vi.mock('electron', async () => {
  // Factories run before the file's imports are initialised, so they import what they need themselves.
  const { EventEmitter } = await import('node:events')
  class FakeWebContents extends EventEmitter {
    static next = 1
    readonly id = FakeWebContents.next++
    setWindowOpenHandler(): void {}
  }
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => fake.windows.filter((w) => !w.destroyed)
    readonly webContents = new FakeWebContents()
    loaded: string | undefined
    shown = 0
    focused = 0
    restored = 0
    minimized = false
    destroyed = false
    constructor(readonly options: Record<string, unknown>) {
      super()
      fake.windows.push(this)
    }
    loadFile(path: string) {
      this.loaded = path
      return Promise.resolve()
    }
    loadURL(url: string) {
      this.loaded = url
      return Promise.resolve()
    }
    show() {
      this.shown += 1
    }
    focus() {
      this.focused += 1
    }
    restore() {
      this.restored += 1
      this.minimized = false
    }
    isMinimized() {
      return this.minimized
    }
    isDestroyed() {
      return this.destroyed
    }
  }
  const app = {
    get isPackaged() {
      return fake.packaged
    },
    requestSingleInstanceLock: () => {
      fake.calls.push('requestSingleInstanceLock')
      return fake.lock
    },
    enableSandbox: () => fake.calls.push('enableSandbox'),
    setPath: (name: string, value: string) => fake.paths.set(name, value),
    getPath: (name: string) => fake.paths.get(name) ?? '',
    on: (name: string, listener: (...args: unknown[]) => void) => {
      fake.appEvents.set(name, [...(fake.appEvents.get(name) ?? []), listener])
    },
    whenReady: () => fake.readyPromise,
    getPreferredSystemLanguages: () => fake.languages,
    quit: () => fake.calls.push('quit'),
    exit: (code: number) => {
      fake.exitCode = code
      fake.calls.push('exit')
    },
  }
  return {
    app,
    BrowserWindow,
    dialog: { showErrorBox: (title: string, body: string) => fake.errorBoxes.push([title, body]) },
    Menu: {
      buildFromTemplate: (t: unknown) => t,
      setApplicationMenu: (menu: unknown) => {
        fake.calls.push('setApplicationMenu')
        fake.menu = menu
      },
    },
    ipcMain: {
      handle: (channel: string) => fake.ipcChannels.add(channel),
      removeHandler: (channel: string) => fake.ipcChannels.delete(channel),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => fake.calls.push('setPermissionRequestHandler'),
        setPermissionCheckHandler: () => fake.calls.push('setPermissionCheckHandler'),
        setDevicePermissionHandler: () => undefined,
        webRequest: { onHeadersReceived: () => fake.calls.push('onHeadersReceived') },
      },
    },
    shell: { openExternal: () => Promise.resolve() },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        fake.calls.push('registerSchemesAsPrivileged')
        fake.privileged.push(...schemes)
      },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
        fake.calls.push(`protocol.handle:${scheme}`)
        fake.protocols.set(scheme, handler)
      },
    },
  }
})
// The real check, with a loader that fails where a test says so instead of requiring the real binaries.
vi.mock('../../src-main/electron/native-modules', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src-main/electron/native-modules')>()),
  requireFrom: () => (name: string, via: readonly string[]) => {
    const id = [...via, name].join('>')
    fake.nativeLoads.push(id)
    const error = fake.native.get(id)
    if (error) throw error
    return {}
  },
}))
vi.mock('../../src-main/core/app', () => ({ createCore: (options: Record<string, unknown>) => fake.createCore(options) }))
vi.mock('../../src-main/core/vault/keytar.store', () => ({ createKeytarStore: () => ({ kind: 'keytar' }) }))

function emitApp(name: string, ...args: unknown[]) {
  for (const listener of fake.appEvents.get(name) ?? []) listener(...args)
}

/** The roles of the application menu's top-level items, as main.ts installed it. */
const menuRoles = () => (fake.menu as { role?: string }[]).map((item) => item.role ?? 'custom')

const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform')!
function onPlatform(platform: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { ...realPlatform, value: platform })
}

function fakeCore() {
  const close = vi.fn(async () => undefined)
  return { dispatcher: { invoke: vi.fn() }, bus: new EventBus(), dataDir: '/x', close }
}

/** Starts main.ts and waits until start-up has ended: a window is open, or the app exited after an error box. */
async function boot(): Promise<void> {
  await import('../../src-main/electron/main')
  fake.ready()
  await vi.waitFor(() => expect(fake.windows.length > 0 || fake.exitCode !== undefined).toBe(true))
}

beforeEach(() => {
  vi.resetModules()
  fake.lock = true
  fake.packaged = false
  fake.appEvents.clear()
  fake.calls = []
  fake.paths = new Map([['userData', '/home/op/.config/Fieldline']])
  fake.windows = []
  fake.errorBoxes = []
  fake.exitCode = undefined
  fake.ipcChannels.clear()
  fake.menu = undefined
  fake.languages = ['en-GB']
  fake.privileged = []
  fake.protocols.clear()
  fake.native.clear()
  fake.nativeLoads = []
  fake.readyPromise = new Promise<void>((done) => (fake.ready = done))
  vi.stubEnv('FIELDLINE_DATA_DIR', '')
  vi.stubEnv('ELECTRON_RENDERER_URL', '')
})

afterEach(() => {
  vi.unstubAllEnvs()
  Object.defineProperty(process, 'platform', realPlatform)
})

describe('electron main', () => {
  it('quits at once when another instance holds the lock', async () => {
    fake.lock = false
    fake.createCore = vi.fn()
    await import('../../src-main/electron/main')
    fake.ready()
    expect(fake.calls).toEqual(['requestSingleInstanceLock', 'quit'])
    expect(fake.createCore).not.toHaveBeenCalled()
    expect(fake.windows).toHaveLength(0)
  })

  it('sandboxes, hardens, creates the core with the keychain vault, then opens a hidden hardened window', async () => {
    const core = fakeCore()
    fake.createCore = vi.fn(async () => core)
    await boot()

    expect(fake.calls.indexOf('enableSandbox')).toBeLessThan(fake.calls.indexOf('setPermissionRequestHandler'))
    expect(fake.calls).toEqual(expect.arrayContaining(['setPermissionCheckHandler', 'onHeadersReceived', 'setApplicationMenu']))
    expect(fake.appEvents.has('web-contents-created')).toBe(true)

    expect(fake.createCore).toHaveBeenCalledExactlyOnceWith({
      dataDir: '/home/op/.config/Fieldline',
      mode: 'electron',
      vault: { kind: 'keytar' },
      openExternal: expect.any(Function),
    })
    expect(fake.ipcChannels.size).toBeGreaterThan(0)

    expect(fake.windows).toHaveLength(1)
    const win = fake.windows[0]!
    expect(win.options).toMatchObject({ show: false, title: 'Fieldline' })
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      preload: expect.stringMatching(/[\\/]preload[\\/]index\.cjs$/),
    })
    expect(win.loaded).toBe('app://fieldline/index.html')
    expect(win.shown).toBe(0)
    win.emit('ready-to-show')
    expect(win.shown).toBe(1)
  })

  it('uses FIELDLINE_DATA_DIR as the data directory (and Electron profile) when set', async () => {
    vi.stubEnv('FIELDLINE_DATA_DIR', '/srv/fieldline-test')
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    expect(fake.createCore).toHaveBeenCalledWith(expect.objectContaining({ dataDir: '/srv/fieldline-test' }))
  })

  it('ignores a dev server URL in a packaged build', async () => {
    fake.packaged = true
    vi.stubEnv('ELECTRON_RENDERER_URL', 'http://localhost:5173/')
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    expect(fake.windows[0]?.loaded).toBe('app://fieldline/index.html')
  })

  it('shows the keychain error and exits when the vault is unavailable', async () => {
    fake.createCore = vi.fn(async () => {
      // Imported after resetModules, so it is the same class main.ts checks against.
      const { AppError } = await import('../../src-main/core/common/errors')
      throw new AppError('VAULT_UNAVAILABLE', 'No Secret Service: install gnome-keyring')
    })
    await boot()
    expect(fake.errorBoxes).toEqual([['Fieldline cannot reach the system keychain', 'No Secret Service: install gnome-keyring']])
    expect(fake.exitCode).toBe(1)
    expect(fake.windows).toHaveLength(0)
  })

  it('shows any other start-up error and exits', async () => {
    fake.createCore = vi.fn(async () => {
      throw new Error('workspace is locked')
    })
    await boot()
    expect(fake.errorBoxes).toEqual([['Fieldline could not start', 'workspace is locked']])
    expect(fake.exitCode).toBe(1)
  })

  it('restores and focuses the window when a second instance starts', async () => {
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    const win = fake.windows[0]!
    win.minimized = true
    emitApp('second-instance')
    expect(win.restored).toBe(1)
    expect(win.focused).toBe(1)
    expect(fake.windows).toHaveLength(1)
  })

  it('waits for the core to close before quitting, and closes it once', async () => {
    const core = fakeCore()
    let release = () => {}
    core.close.mockImplementation(() => new Promise<undefined>((done) => (release = () => done(undefined))))
    fake.createCore = vi.fn(async () => core)
    await boot()

    const preventDefault = vi.fn()
    emitApp('will-quit', { preventDefault })
    expect(preventDefault).toHaveBeenCalled()
    expect(core.close).toHaveBeenCalledTimes(1)
    expect(fake.ipcChannels.size).toBe(0)
    // Quitting waits for the close, which cannot end before release().
    expect(fake.calls).not.toContain('quit')

    release()
    await vi.waitFor(() => expect(fake.calls).toContain('quit'))

    const second = vi.fn()
    emitApp('will-quit', { preventDefault: second })
    expect(second).not.toHaveBeenCalled()
    expect(core.close).toHaveBeenCalledTimes(1)
  })

  it.each(['linux', 'win32'] as const)('on %s, quits when the last window closes and has no app menu', async (platform) => {
    onPlatform(platform)
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    expect(fake.calls).not.toContain('quit')
    emitApp('window-all-closed')
    expect(fake.calls).toContain('quit')
    expect(menuRoles()).toEqual(['fileMenu', 'editMenu', 'custom', 'windowMenu'])
  })

  it('on macOS, stays open without windows, reopens one from the dock, and has the app menu', async () => {
    onPlatform('darwin')
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    fake.windows[0]!.destroyed = true
    emitApp('window-all-closed')
    expect(fake.calls).not.toContain('quit')

    emitApp('activate')
    expect(fake.windows).toHaveLength(2)
    expect(fake.windows[1]!.loaded).toBe('app://fieldline/index.html')
    // With a window open, the dock icon only brings the app forward.
    emitApp('activate')
    expect(fake.windows).toHaveLength(2)
    expect(menuRoles()).toEqual(['appMenu', 'fileMenu', 'editMenu', 'custom', 'windowMenu'])
  })

  it('registers app:// as privileged before ready, and serves it before the window loads it', async () => {
    fake.createCore = vi.fn(async () => fakeCore())
    await import('../../src-main/electron/main')
    expect(fake.calls).toContain('registerSchemesAsPrivileged')
    expect(fake.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }])
    expect(fake.protocols.size).toBe(0)
    fake.ready()
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1))
    expect(fake.protocols.has('app')).toBe(true)
    // The handler is the app-protocol one: a traversal gets its refusal, not a file.
    const refused = await fake.protocols.get('app')!(new Request('app://fieldline/%2e%2e%2f%2e%2e%2fpackage.json'))
    expect(refused.status).toBe(403)
  })

  it('checks every native module before opening the workspace', async () => {
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    expect(fake.nativeLoads).toEqual(['keytar', 'pouchdb>leveldown', 'pouchdb>level>leveldown'])
  })

  it('names a native module built for the wrong Electron, in the system language, and exits without opening anything', async () => {
    fake.languages = ['fr-FR', 'en-US']
    const mismatch = Object.assign(
      new Error(
        "The module '/opt/Fieldline/resources/app.asar.unpacked/node_modules/leveldown/build/Release/leveldown.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 137. This version of Node.js requires\nNODE_MODULE_VERSION 140. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    )
    fake.native.set('pouchdb>leveldown', mismatch)
    fake.createCore = vi.fn()
    await boot()
    expect(fake.createCore).not.toHaveBeenCalled()
    expect(fake.windows).toHaveLength(0)
    expect(fake.exitCode).toBe(1)
    const [[title, message]] = fake.errorBoxes as [[string, string]]
    expect(title).toBe('Fieldline n’est pas correctement installé')
    expect(message).toContain('leveldown')
    expect(message).toContain('137')
    expect(message).toContain('140')
    expect(message).toContain('npm run rebuild:electron')
  })

  it('leaves a keychain library the system lacks to the vault, and starts', async () => {
    fake.native.set('keytar', Object.assign(new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' }))
    fake.createCore = vi.fn(async () => fakeCore())
    await boot()
    expect(fake.createCore).toHaveBeenCalledOnce()
    expect(fake.errorBoxes).toEqual([])
    expect(fake.windows).toHaveLength(1)
  })
})
