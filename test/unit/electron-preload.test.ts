import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FieldlineApi } from '../../src-shared/contract'
import { EVENT_CHANNEL } from '../../src-shared/ipc-channels'

type IpcListener = (event: unknown, message: unknown) => void

// Requiring the real 'electron' from Node tries to download the runtime; the preload only needs these two.
const fake = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  exposeCalls: 0,
  invoke: vi.fn<(channel: string, input: unknown) => Promise<unknown>>(),
  listeners: [] as { channel: string; listener: IpcListener }[],
}))
vi.mock('electron', () => {
  const ipcRenderer = {
    invoke: fake.invoke,
    on: (channel: string, listener: IpcListener) => {
      fake.listeners.push({ channel, listener })
      return ipcRenderer
    },
    send: () => {
      throw new Error('the preload must not use send')
    },
  }
  return {
    ipcRenderer,
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        fake.exposeCalls += 1
        fake.exposed.set(key, api)
      },
    },
  }
})

let api: FieldlineApi

beforeAll(async () => {
  await import('../../src-preload/index')
  api = fake.exposed.get('fieldline') as FieldlineApi
})

beforeEach(() => {
  fake.invoke.mockReset()
})

/** What main would push for an event, as the IPC layer delivers it (event object first). */
function push(message: unknown) {
  const ipcEvent = { sender: { marker: 'ipcRenderer' }, ports: [] }
  for (const { listener } of fake.listeners) listener(ipcEvent, message)
}

describe('preload', () => {
  it('exposes only window.fieldline, with only invoke and on', () => {
    expect(fake.exposeCalls).toBe(1)
    expect([...fake.exposed.keys()]).toEqual(['fieldline'])
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on'])
    expect(typeof api.invoke).toBe('function')
    expect(typeof api.on).toBe('function')
    expect(Object.isFrozen(api)).toBe(true)
  })

  it('listens on the one event channel only', () => {
    expect(fake.listeners.map((l) => l.channel)).toEqual([EVENT_CHANNEL])
  })

  it('refuses channels that are not in the contract without calling IPC', async () => {
    const unsafe = api.invoke as (channel: string, input: unknown) => Promise<unknown>
    for (const channel of ['fs:read', 'fieldline:event', '__proto__', 'constructor', 'toString', '']) {
      await expect(unsafe(channel, {}), channel).resolves.toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_CHANNEL' },
      })
    }
    await expect((api.invoke as (c: unknown, i: unknown) => Promise<unknown>)(42, {})).resolves.toMatchObject({
      ok: false,
    })
    expect(fake.invoke).not.toHaveBeenCalled()
  })

  it('passes contract channels to ipcRenderer.invoke and returns the Result', async () => {
    const result = { ok: true, value: { set: true } }
    fake.invoke.mockResolvedValueOnce(result)
    const input = { profileId: 'carrier:jasper:p1', field: 'apiKey' }
    await expect(api.invoke('vault:isSet', input)).resolves.toEqual(result)
    expect(fake.invoke).toHaveBeenCalledExactlyOnceWith('vault:isSet', input)
  })

  it('turns a transport failure into an INTERNAL Result instead of a rejection', async () => {
    fake.invoke.mockRejectedValueOnce(new Error("No handler registered for 'app:info'"))
    await expect(api.invoke('app:info', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringContaining('No handler registered') },
    })
  })

  it('delivers contract events to their listeners with the payload only', () => {
    const devices = vi.fn()
    const audit = vi.fn()
    const offDevices = api.on('devices:changed', devices)
    api.on('audit:changed', audit)

    push({ event: 'devices:changed', payload: { reason: 'added' } })
    expect(devices).toHaveBeenCalledExactlyOnceWith({ reason: 'added' })
    expect(audit).not.toHaveBeenCalled()

    offDevices()
    offDevices()
    push({ event: 'devices:changed', payload: { reason: 'removed' } })
    expect(devices).toHaveBeenCalledTimes(1)
  })

  it('ignores malformed or unknown event messages', () => {
    const listener = vi.fn()
    api.on('settings:changed', listener)
    for (const message of [null, 'settings:changed', 42, {}, { event: 'evil:thing', payload: {} }, { event: '__proto__' }]) {
      push(message)
    }
    expect(listener).not.toHaveBeenCalled()
  })

  it('keeps delivering to other listeners when one throws', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const good = vi.fn()
    api.on('job:progress', () => {
      throw new Error('view bug')
    })
    api.on('job:progress', good)
    const payload = { jobId: 'j', kind: 'import', rows: 1, added: 1, failed: 0, existing: 0, done: true }
    push({ event: 'job:progress', payload })
    expect(good).toHaveBeenCalledExactlyOnceWith(payload)
    expect(error).toHaveBeenCalled()
    error.mockRestore()
  })

  it('refuses to subscribe to events outside the contract', () => {
    const unsafe = api.on as (event: string, listener: (p: unknown) => void) => () => void
    expect(() => unsafe('fieldline:event', () => undefined)).toThrow(TypeError)
    expect(() => unsafe('__proto__', () => undefined)).toThrow(TypeError)
    expect(() => (api.on as (e: string, l: unknown) => unknown)('audit:changed', 'not a function')).toThrow(TypeError)
  })
})
