import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Device } from '../../src-shared/contract'
import type { DeviceLocation } from '../../src-shared/models/location'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { DeviceDetail } = await import('../../src-renderer/src/lib/state/device-detail.svelte')
const { LocationFollowing } = await import('../../src-renderer/src/lib/state/location-following.svelte')

const KEY = { typeId: 'meter', deviceId: 'm-1' }
const AT: DeviceLocation = { latitude: 45.19, longitude: 5.72, elevation: 212, accuracy: 10, measuredAt: null, source: 'operator', updatedAt: '2026-03-10T10:00:00Z' }

function device(location: DeviceLocation | null): Device {
  return {
    ...KEY,
    description: '',
    extensions: [],
    metadata: {},
    extensionConfig: null,
    supportedBundles: [],
    location,
    draft: null,
    createdAt: '2026-03-10T09:00:00Z',
    updatedAt: '2026-03-10T10:00:00Z',
  }
}

beforeEach(() => {
  fake.reset()
})

describe('a device page’s location', () => {
  it('sends the position with the device’s key, and shows the record the core answered with', async () => {
    const detail = new DeviceDetail(KEY)
    const setting = detail.setLocation({ latitude: 45.19, longitude: 5.72, elevation: 212, accuracy: 10 })
    expect(fake.answer('devices:setLocation', ok(device(AT)))).toEqual({ ...KEY, latitude: 45.19, longitude: 5.72, elevation: 212, accuracy: 10 })
    expect((await setting).ok).toBe(true)
    expect(detail.device?.location).toEqual(AT)
    expect(fake.pending('devices:get')).toHaveLength(0)
    detail.dispose()
  })

  it('keeps the device as it was when the core refuses the position', async () => {
    const detail = new DeviceDetail(KEY)
    void detail.load()
    fake.answer('devices:get', ok(device(AT)))
    await settle()
    const setting = detail.setLocation({ latitude: 95, longitude: 5.72 })
    fake.answer('devices:setLocation', refused('VALIDATION'))
    expect((await setting).ok).toBe(false)
    expect(detail.device?.location).toEqual(AT)
    detail.dispose()
  })

  it('reads the device again once a clear is done', async () => {
    const detail = new DeviceDetail(KEY)
    const clearing = detail.clearLocation()
    expect(fake.answer('devices:clearLocation', ok({ cleared: true }))).toEqual(KEY)
    expect(await clearing).toEqual({ ok: true, value: { cleared: true } })
    fake.answer('devices:get', ok(device(null)))
    await settle()
    expect(detail.device?.location).toBeNull()
    detail.dispose()
  })

  it('follows a location the device reports, and no other device’s', async () => {
    const detail = new DeviceDetail(KEY)
    fake.emit('devices:location', { items: [{ typeId: 'meter', deviceId: 'm-10', source: 'device' }] })
    expect(fake.pending('devices:get')).toHaveLength(0)
    fake.emit('devices:location', { items: [{ ...KEY, source: 'device' }] })
    fake.answer('devices:get', ok(device({ ...AT, source: 'device' })))
    await settle()
    expect(detail.device?.location?.source).toBe('device')
    detail.dispose()
    fake.emit('devices:location', { items: [{ ...KEY, source: 'device' }] })
    expect(fake.pending('devices:get')).toHaveLength(0)
  })
})

describe('following device locations on a platform link', () => {
  it('remembers since when, once the core said yes, and says it is on its way meanwhile', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-03-10T10:00:00Z') })
    const following = new LocationFollowing()
    const asking = following.follow('lab')
    expect(following.busy.lab).toBe(true)
    expect(following.since.lab).toBeUndefined()
    expect(fake.answer('devices:followLocations', ok({ profileId: 'lab' }))).toEqual({ platformProfile: 'lab' })
    await asking
    expect(following.busy.lab).toBe(false)
    expect(following.since.lab).toBe(Date.parse('2026-03-10T10:00:00Z'))
    vi.useRealTimers()
  })

  it('remembers nothing when the core refuses', async () => {
    const following = new LocationFollowing()
    const asking = following.follow('gone')
    fake.answer('devices:followLocations', refused('NOT_FOUND'))
    expect((await asking).ok).toBe(false)
    expect(following.since).toEqual({})
    expect(following.busy.gone).toBe(false)
  })

  it('ends when the link closes, and only then: a link that reconnects keeps its subscriptions', async () => {
    const following = new LocationFollowing()
    for (const id of ['lab', 'plant']) {
      const asking = following.follow(id)
      fake.answer('devices:followLocations', ok({ profileId: id }))
      await asking
    }
    const link = { reason: null, security: 'loopback-plain' as const }
    fake.emit('platform:state', { profileId: 'lab', state: 'reconnecting', ...link })
    fake.emit('platform:state', { profileId: 'lab', state: 'connected', ...link })
    expect(Object.keys(following.since).sort()).toEqual(['lab', 'plant'])
    fake.emit('platform:state', { profileId: 'lab', state: 'stopped', ...link })
    expect(Object.keys(following.since)).toEqual(['plant'])
  })
})
