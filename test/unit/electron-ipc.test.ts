import { userInfo } from 'node:os'
import { EventEmitter } from 'node:events'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Result } from '../../src-shared/contract'
import { CHANNEL_NAMES } from '../../src-shared/contract'
import { EVENT_CHANNEL } from '../../src-shared/ipc-channels'
import type { Dispatcher } from '../../src-main/core/ipc/dispatcher'
import { EventBus } from '../../src-main/core/common/events'
import type { Logger } from '../../src-main/core/log/logger'

type Handler = (event: unknown, input: unknown) => unknown

// Requiring the real 'electron' from Node tries to download the runtime; the transport only needs ipcMain.
const fake = vi.hoisted(() => ({ handlers: new Map<string, Handler>() }))
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      if (fake.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      fake.handlers.set(channel, handler)
    },
    removeHandler: (channel: string) => fake.handlers.delete(channel),
  },
}))

const { registerIpc, TrustedViews } = await import('../../src-main/electron/ipc')
// Electron's own types come through the module under test: tests may not import 'electron', even for types.
type WebContents = Parameters<InstanceType<typeof TrustedViews>['add']>[0]

const APP = 'app://fieldline/index.html'

interface FakeFrame {
  url: string
  parent: FakeFrame | null
}

class FakeWebContents extends EventEmitter {
  readonly mainFrame: FakeFrame
  readonly sent: { channel: string; message: unknown }[] = []
  destroyed = false

  constructor(
    readonly id: number,
    url = APP,
  ) {
    super()
    this.mainFrame = { url, parent: null }
  }
  getURL(): string {
    return this.mainFrame.url
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  send(channel: string, message: unknown): void {
    this.sent.push({ channel, message })
  }
  destroy(): void {
    this.destroyed = true
    this.emit('destroyed')
  }
}

function eventFrom(contents: FakeWebContents, frame: FakeFrame | null = contents.mainFrame) {
  return { sender: contents, senderFrame: frame }
}

const OK: Result<unknown> = { ok: true, value: { removed: true } }

function setup() {
  const invoke = vi.fn<Dispatcher['invoke']>(async () => OK)
  const bus = new EventBus()
  const views = new TrustedViews()
  const window = new FakeWebContents(1)
  views.add(window as unknown as WebContents)
  const warnings: { fields: Record<string, unknown>; message: string }[] = []
  const logger = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) }
  const dispose = registerIpc({ dispatcher: { invoke }, bus, views, appUrl: APP, logger: logger as unknown as Logger })
  const call = (channel: string, event: unknown, input: unknown = {}) => {
    const handler = fake.handlers.get(channel)
    if (!handler) throw new Error(`no handler for ${channel}`)
    return Promise.resolve(handler(event, input))
  }
  return { invoke, bus, views, window, dispose, call, warnings }
}

function expectForbidden(result: unknown) {
  expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
}

beforeEach(() => {
  fake.handlers.clear()
})

describe('registerIpc', () => {
  it('registers a handler for exactly the contract channels', () => {
    setup()
    expect([...fake.handlers.keys()].sort()).toEqual([...CHANNEL_NAMES].sort())
  })

  it("passes a trusted call to the dispatcher as the computer's user and returns the dispatcher's Result", async () => {
    const { invoke, window, call } = setup()
    const input = { typeId: 'gw', deviceId: 'd-1' }
    await expect(call('devices:remove', eventFrom(window), input)).resolves.toEqual(OK)
    expect(invoke).toHaveBeenCalledExactlyOnceWith('devices:remove', input, { actor: userInfo().username })
  })

  it('returns failures from the dispatcher unchanged', async () => {
    const { invoke, window, call } = setup()
    const failure: Result<unknown> = { ok: false, error: { code: 'VALIDATION', message: 'bad' } }
    invoke.mockResolvedValueOnce(failure)
    await expect(call('devices:get', eventFrom(window), { typeId: 1 })).resolves.toEqual(failure)
  })

  it('refuses a webContents that is not ours, without running the handler', async () => {
    const { invoke, call } = setup()
    const stranger = new FakeWebContents(2)
    expectForbidden(await call('vault:setSecret', eventFrom(stranger)))
    expect(invoke).not.toHaveBeenCalled()
  })

  it('logs refused senders at most once a second, with how many more there were', async () => {
    vi.useFakeTimers()
    try {
      const { call, warnings, dispose } = setup()
      const stranger = new FakeWebContents(7, 'https://evil.example/steal?session=abc')
      for (let i = 0; i < 500; i++) expectForbidden(await call('vault:setSecret', eventFrom(stranger)))
      // One line at once, naming where the call came from (its origin, not the page's path or query)…
      expect(warnings).toEqual([{ message: expect.stringContaining('refused'), fields: { channel: 'vault:setSecret', webContentsId: 7, origin: 'https://evil.example', topFrame: true } }])
      // …then one line a second with the count, and nothing once the calls stop.
      vi.advanceTimersByTime(1000)
      expect(warnings).toHaveLength(2)
      expect(warnings[1]!.fields).toMatchObject({ repeated: 499, origin: 'https://evil.example' })
      vi.advanceTimersByTime(5000)
      expect(warnings).toHaveLength(2)
      expectForbidden(await call('app:info', eventFrom(stranger)))
      expect(warnings).toHaveLength(3)
      dispose()
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses a sub-frame of our own window', async () => {
    const { invoke, window, call } = setup()
    const iframe: FakeFrame = { url: APP, parent: window.mainFrame }
    expectForbidden(await call('app:info', eventFrom(window, iframe)))
    // A frame object that is not the main frame, even without a parent, is not the top frame either.
    expectForbidden(await call('app:info', eventFrom(window, { url: APP, parent: null })))
    expect(invoke).not.toHaveBeenCalled()
  })

  it('refuses our window once it shows a foreign URL', async () => {
    const { invoke, window, call } = setup()
    window.mainFrame.url = 'https://evil.com/'
    expectForbidden(await call('app:info', eventFrom(window)))
    window.mainFrame.url = 'file:///tmp/index.html'
    expectForbidden(await call('app:info', eventFrom(window)))
    window.mainFrame.url = 'app://fieldline/other.html'
    expectForbidden(await call('app:info', eventFrom(window)))
    expect(invoke).not.toHaveBeenCalled()
  })

  it('refuses a call whose frame is gone or unreadable', async () => {
    const { invoke, window, call } = setup()
    expectForbidden(await call('app:info', eventFrom(window, null)))
    const disposed = {
      sender: window,
      get senderFrame(): never {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed')
      },
    }
    expectForbidden(await call('app:info', disposed))
    expect(invoke).not.toHaveBeenCalled()
  })

  it('stops trusting a webContents once it is destroyed', async () => {
    const { invoke, window, views, call } = setup()
    window.destroy()
    expect(views.ids.has(1)).toBe(false)
    expectForbidden(await call('app:info', eventFrom(window)))
    expect(invoke).not.toHaveBeenCalled()
  })

  it('forwards core events to trusted windows that show the renderer, and only to them', () => {
    const { bus, views, window } = setup()
    const second = new FakeWebContents(3)
    const navigatedAway = new FakeWebContents(4, 'https://evil.com/')
    const gone = new FakeWebContents(5)
    const stranger = new FakeWebContents(6)
    for (const c of [second, navigatedAway, gone]) views.add(c as unknown as WebContents)
    gone.destroyed = true

    bus.emit('devices:changed', { reason: 'added' })

    const expected = [{ channel: EVENT_CHANNEL, message: { event: 'devices:changed', payload: { reason: 'added' } } }]
    expect(window.sent).toEqual(expected)
    expect(second.sent).toEqual(expected)
    expect(navigatedAway.sent).toEqual([])
    expect(gone.sent).toEqual([])
    expect(stranger.sent).toEqual([])
  })

  it('undoes everything on dispose', () => {
    const { bus, window, dispose } = setup()
    dispose()
    expect(fake.handlers.size).toBe(0)
    bus.emit('audit:changed', {})
    expect(window.sent).toEqual([])
  })
})
