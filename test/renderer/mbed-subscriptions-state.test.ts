import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MbedEndpointSubscriptions, MbedSubscriptionsList, MbedSubscriptionView } from '../../src-shared/models/mbed'
import { FakeApi, ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { MbedSubscriptions } = await import('../../src-renderer/src/lib/state/mbed-subscriptions.svelte')

function resource(path: string, state: MbedSubscriptionView['state'] = 'subscribed'): MbedSubscriptionView {
  return { path, state, via: 'bridge', reason: null, since: '2026-01-01T00:00:00.000Z', observable: true, attempts: 1 }
}

function endpoint(ep: string, ...resources: MbedSubscriptionView[]): MbedEndpointSubscriptions {
  return { ep, type: 'Light', resources }
}

function list(endpoints: MbedEndpointSubscriptions[], total = endpoints.length): { ok: true; value: MbedSubscriptionsList } {
  return ok({ mode: 'default', rules: [], presubscriptions: { state: 'none', reason: null }, endpoints, total })
}

const names = (store: InstanceType<typeof MbedSubscriptions>) => store.endpoints.map((e) => e.ep)
const pageReads = (fake: FakeApi) => fake.pending('mbed:subscriptions').filter((c) => (c.input as { ep?: string }).ep === undefined)
const endpointReads = (fake: FakeApi) => fake.pending('mbed:subscriptions').map((c) => (c.input as { ep?: string }).ep)

beforeEach(() => {
  fake.reset()
})

afterEach(() => {
  vi.useRealTimers()
})

/** A store shown by a view, with its first page read and answered. */
async function shown(endpoints: MbedEndpointSubscriptions[], total = endpoints.length, options = {}) {
  const store = new MbedSubscriptions({ fullReadGapMs: 0, ...options })
  store.activate()
  fake.answer('mbed:subscriptions', list(endpoints, total))
  await settle()
  return store
}

describe('the mbed subscriptions of the running bridge', () => {
  it('reads the page when shown', async () => {
    const store = await shown([endpoint('a', resource('/1')), endpoint('b')])
    expect(names(store)).toEqual(['a', 'b'])
    expect(store.truncated).toBe(false)
    expect(store.loaded).toBe(true)
  })

  it('reads each endpoint an event names and patches it in: replaced, added in its place by name, or gone', async () => {
    const store = await shown([endpoint('a', resource('/1')), endpoint('c'), endpoint('d')])
    fake.emit('mbed:subscriptions', { endpoints: ['a', 'b', 'd'], more: false })
    expect(endpointReads(fake)).toEqual(['a', 'b', 'd'])
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'a', list([endpoint('a', resource('/1', 'refused'))], 1))
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'b', list([endpoint('b', resource('/2'))], 1))
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'd', list([], 0))
    await settle()
    expect(names(store)).toEqual(['a', 'b', 'c'])
    expect(store.value?.total).toBe(3)
    expect(store.endpoints[0]?.resources[0]?.state).toBe('refused')
    expect(pageReads(fake)).toHaveLength(0)
  })

  it('reads the whole page instead when an event names more endpoints than is worth reading one by one', async () => {
    const store = await shown([endpoint('a')], 1, { patchLimit: 2 })
    fake.emit('mbed:subscriptions', { endpoints: ['a', 'b', 'c'], more: false })
    expect(pageReads(fake)).toHaveLength(1)
    fake.answer('mbed:subscriptions', list([endpoint('a'), endpoint('b'), endpoint('c')]))
    await settle()
    expect(names(store)).toEqual(['a', 'b', 'c'])
  })

  it('reads the whole page when the core says more endpoints changed than it named', async () => {
    await shown([endpoint('a')])
    fake.emit('mbed:subscriptions', { endpoints: ['a'], more: true })
    expect(pageReads(fake)).toHaveLength(1)
    expect(endpointReads(fake)).toEqual([undefined])
  })

  it('runs one read at a time: a burst of events while one is on its way makes one more read, after it', async () => {
    const store = await shown([endpoint('a')])
    fake.emit('mbed:subscriptions', { endpoints: ['a'], more: false })
    fake.emit('mbed:subscriptions', { endpoints: ['b'], more: false })
    fake.emit('mbed:subscriptions', { endpoints: ['a'], more: false })
    expect(endpointReads(fake)).toEqual(['a'])
    fake.answer('mbed:subscriptions', list([endpoint('a', resource('/1'))], 1))
    await settle()
    expect(endpointReads(fake)).toEqual(['b', 'a'])
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'b', list([endpoint('b')], 1))
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'a', list([endpoint('a', resource('/1'), resource('/2'))], 1))
    await settle()
    expect(names(store)).toEqual(['a', 'b'])
    expect(store.endpoints[0]?.resources).toHaveLength(2)
    expect(fake.pending('mbed:subscriptions')).toHaveLength(0)
  })

  it('makes good a failed endpoint read with a read of the page', async () => {
    await shown([endpoint('a')])
    fake.emit('mbed:subscriptions', { endpoints: ['a'], more: false })
    fake.answer('mbed:subscriptions', refused('NETWORK'))
    await settle()
    expect(pageReads(fake)).toHaveLength(1)
  })

  it('on a page that cannot hold every endpoint, patches the endpoints on it but reads the page for one beyond it', async () => {
    const store = await shown([endpoint('a'), endpoint('b')], 5000)
    expect(store.truncated).toBe(true)
    fake.emit('mbed:subscriptions', { endpoints: ['b'], more: false })
    expect(endpointReads(fake)).toEqual(['b'])
    fake.answer('mbed:subscriptions', list([endpoint('b', resource('/1'))], 1))
    await settle()
    expect(store.value?.total).toBe(5000)
    fake.emit('mbed:subscriptions', { endpoints: ['aa'], more: false })
    expect(pageReads(fake)).toHaveLength(1)
  })

  it('spaces page reads that events ask for under a steady flow, but never one the operator asks for', async () => {
    vi.useFakeTimers()
    const store = new MbedSubscriptions({ fullReadGapMs: 1000 })
    store.activate()
    fake.answer('mbed:subscriptions', list([endpoint('a')], 5000))
    await settle()
    fake.emit('mbed:subscriptions', { endpoints: ['zz'], more: false })
    await settle()
    expect(fake.pending('mbed:subscriptions')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1000)
    expect(pageReads(fake)).toHaveLength(1)
    fake.answer('mbed:subscriptions', list([endpoint('a')], 5000))
    await settle()
    void store.load()
    expect(pageReads(fake)).toHaveLength(1)
  })

  it('takes no event while no view shows it', async () => {
    const store = new MbedSubscriptions({ fullReadGapMs: 0 })
    const stop = store.activate()
    fake.answer('mbed:subscriptions', list([endpoint('a')]))
    await settle()
    stop()
    fake.emit('mbed:subscriptions', { endpoints: ['a'], more: true })
    expect(fake.pending('mbed:subscriptions')).toHaveLength(0)
  })

  it('reads the page again when the bridge changes state and when the transport comes back', async () => {
    await shown([endpoint('a')])
    fake.emit('mbed:state', {
      state: 'stopped',
      reason: null,
      failedSide: null,
      since: '2026-01-01T00:00:00.000Z',
      restartAt: null,
      channel: { kind: 'longpoll', state: 'stopped', retryAt: null },
      link: { state: 'stopped', insecure: false, retryAt: null },
      kept: 0,
    })
    expect(pageReads(fake)).toHaveLength(1)
    fake.answer('mbed:subscriptions', list([]))
    await settle()
    fake.reconnect()
    expect(pageReads(fake)).toHaveLength(1)
  })

  it('shows the answer of a subscribe at once, and which resource is on its way meanwhile', async () => {
    const store = await shown([endpoint('a', resource('/1'))])
    const done = store.subscribe('a', '/3/0/0')
    expect(store.actionOf('a', '/3/0/0')).toBe('subscribe')
    expect(fake.answer('mbed:subscribe', ok(resource('/3/0/0', 'refused')))).toEqual({ ep: 'a', path: '/3/0/0' })
    expect((await done).ok).toBe(true)
    expect(store.actionOf('a', '/3/0/0')).toBeNull()
    expect(store.endpoints[0]?.resources.map((r) => [r.path, r.state])).toEqual([
      ['/1', 'subscribed'],
      ['/3/0/0', 'refused'],
    ])
    const off = store.unsubscribe('a', '/1')
    fake.answer('mbed:unsubscribe', refused('NOT_FOUND'))
    expect((await off).ok).toBe(false)
    expect(store.endpoints[0]?.resources[0]?.state).toBe('subscribed')
  })

  it('keeps an endpoint looked up beyond the page current, until it is let go', async () => {
    const store = await shown([endpoint('a')], 5000)
    const found = store.lookup('zz')
    fake.answer('mbed:subscriptions', list([endpoint('zz', resource('/1'))], 1))
    expect((await found).ok).toBe(true)
    expect(store.pinned?.ep).toBe('zz')
    fake.emit('mbed:subscriptions', { endpoints: ['zz'], more: false })
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'zz', list([endpoint('zz', resource('/1', 'pending'))], 1))
    await settle()
    expect(store.pinned?.resources[0]?.state).toBe('pending')
    fake.emit('mbed:subscriptions', { endpoints: ['zz'], more: false })
    store.unpin()
    fake.answerWhere('mbed:subscriptions', (i) => i.ep === 'zz', list([endpoint('zz')], 1))
    await settle()
    expect(store.pinned).toBeNull()
  })
})
