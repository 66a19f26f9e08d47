import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Result } from '../../src-shared/contract'
import type { PackageSummary } from '../../src-shared/models/packages'
import { EventStore, type EventStoreOptions } from '../../src-renderer/src/lib/state/event-store.svelte'
import { FakeApi, ok, refused, settle } from './fake-api'

function summary(bundleId: string): PackageSummary {
  return { bundleId, displayName: {}, version: '1', provider: null, actionCount: 1, updatedAt: '2026-01-01T00:00:00.000Z' } as unknown as PackageSummary
}

/** A store over packages:list, the way the app's stores are built. */
class Library extends EventStore<string[]> {
  constructor(
    readonly api: FakeApi,
    options: EventStoreOptions,
  ) {
    super(api, options)
  }

  protected async fetch(): Promise<Result<string[]>> {
    const result = await this.api.invoke('packages:list', {})
    return result.ok ? { ok: true, value: result.value.items.map((p) => p.bundleId) } : result
  }

  took(value: string[]): void {
    this.accept(value)
  }
}

const listed = (...ids: string[]) => ok({ items: ids.map(summary) })

afterEach(() => {
  vi.useRealTimers()
})

describe('EventStore', () => {
  it('loads: the value, "loaded", and no error', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [], live: 'always' })
    expect(store.loaded).toBe(false)
    const loading = store.load()
    api.answer('packages:list', listed('a', 'b'))
    expect(await loading).toEqual({ ok: true, value: ['a', 'b'] })
    expect(store.value).toEqual(['a', 'b'])
    expect(store.loaded).toBe(true)
    expect(store.error).toBeNull()
  })

  it('keeps the last good value beside the error of a failed read, and clears the error on the next success', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [], live: 'always' })
    const first = store.load()
    api.answer('packages:list', listed('a'))
    await first
    const second = store.load()
    api.answer('packages:list', refused('NETWORK'))
    await second
    expect(store.value).toEqual(['a'])
    expect(store.error?.code).toBe('NETWORK')
    const third = store.load()
    api.answer('packages:list', listed('a', 'c'))
    await third
    expect(store.error).toBeNull()
    expect(store.value).toEqual(['a', 'c'])
  })

  it('lets only the latest read land: an older answer arriving last is dropped', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [], live: 'always' })
    const older = store.load()
    const newer = store.load()
    api.answer('packages:list', listed('new'), 1)
    expect(await newer).toEqual({ ok: true, value: ['new'] })
    api.answer('packages:list', listed('old'))
    expect(await older).toBeNull()
    expect(store.value).toEqual(['new'])
  })

  it('drops a read under way when the data a write answered with is taken', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [], live: 'always' })
    const reading = store.load()
    store.took(['written'])
    api.answer('packages:list', listed('stale'))
    expect(await reading).toBeNull()
    expect(store.value).toEqual(['written'])
  })

  it('reads again on its events, on those whose payload concerns it only, and when the transport comes back', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [{ event: 'profiles:changed', when: (e) => e.extension === 'mbed' }, { event: 'packages:changed' }], live: 'always' })
    api.emit('profiles:changed', { extension: 'jasper' })
    expect(api.pending('packages:list')).toHaveLength(0)
    api.emit('profiles:changed', { extension: 'mbed' })
    api.emit('packages:changed', {})
    api.reconnect()
    expect(api.pending('packages:list')).toHaveLength(3)
    api.answer('packages:list', listed('a'), 2)
    await settle()
    expect(store.value).toEqual(['a'])
  })

  it('follows its events only while a view shows it when it lives "whileActive"', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [{ event: 'packages:changed' }], live: 'whileActive' })
    api.emit('packages:changed', {})
    api.reconnect()
    expect(api.pending('packages:list')).toHaveLength(0)
    const release = store.activate()
    expect(api.pending('packages:list')).toHaveLength(1)
    api.emit('packages:changed', {})
    expect(api.pending('packages:list')).toHaveLength(2)
    release()
    release()
    api.emit('packages:changed', {})
    expect(api.pending('packages:list')).toHaveLength(2)
  })

  it('reads a burst of events once, after it settles', async () => {
    vi.useFakeTimers()
    const api = new FakeApi()
    expect(new Library(api, { refreshOn: [{ event: 'audit:changed' }], live: 'always', settleMs: 300 }).loaded).toBe(false)
    for (let i = 0; i < 50; i++) api.emit('audit:changed', {})
    expect(api.pending('packages:list')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(300)
    expect(api.pending('packages:list')).toHaveLength(1)
  })

  it('stops listening once disposed', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [{ event: 'packages:changed' }], live: 'always' })
    expect(api.listenerCount('packages:changed')).toBe(1)
    store.dispose()
    expect(api.listenerCount('packages:changed')).toBe(0)
    api.reconnect()
    api.emit('packages:changed', {})
    await settle()
    expect(api.pending('packages:list')).toHaveLength(0)
  })

  it('drops the answer of a read still under way when disposed: the page that wanted it is gone', async () => {
    const api = new FakeApi()
    const store = new Library(api, { refreshOn: [], live: 'always' })
    const loading = store.load()
    store.dispose()
    api.answer('packages:list', listed('a'))
    expect(await loading).toBeNull()
    expect(store.value).toBeNull()
    expect(store.loaded).toBe(false)
  })
})
