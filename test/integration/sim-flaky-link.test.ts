import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { startFlakyLink, type FlakyLink } from '../helpers/flaky-link'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/**
 * A SIM panel on a link that stalls mid-answer (a 4G link in a substation): the carrier's answer stops after its first
 * bytes and the connection stays open. The HTTP timeouts alone (30 s without headers, three attempts, two calls) kept
 * a refresh waiting for about three minutes; the core gives the read a deadline (shortened here) and shows the cached
 * copy with the reason.
 */
describe('a Control Center SIM read on a link that stalls', () => {
  let peer: ControlCenterPeer
  let link: FlakyLink
  let core: TestCore
  let cleanup: () => Promise<void>
  const device = { typeId: 'meter', deviceId: 'm-1' }

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 5 })
    const p = new URL(peer.url)
    link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { simReadDeadlineMs: 1500 })
    await core.call('devices:add', device)
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ jasper: { iccid: peer.iccids[0] } }) })
    await core.call('profiles:save', { extension: 'jasper', name: 'Substation', settings: { baseUrl: link.url, username: 'ops', concurrency: 1, perSecond: 5 }, secrets: { apiKey: 'test-api-key' } })
  })
  afterAll(async () => {
    await core.close()
    await link.close()
    await peer.close()
    await cleanup()
  })

  it('shows the cached copy as of its time, saying the carrier did not answer in time, instead of waiting on the stalled answer', async () => {
    const fresh = await core.call('sim:get', { ...device, refresh: true })
    expect(fresh).toMatchObject({ fromCache: false, offline: null })
    link.set({ kind: 'stall', afterBytes: 12 })
    const view = await core.call('sim:get', { ...device, refresh: true })
    expect(view).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt, sim: fresh.sim })
    expect(view.offline).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout', params: { host: new URL(link.url).host, seconds: 1.5 } } } })
    link.set({ kind: 'pass' })
  })
})

describe('an Orange SIM read on a link that stalls', () => {
  let peer: OrangePeer
  let link: FlakyLink
  let core: TestCore
  let cleanup: () => Promise<void>
  const device = { typeId: 'meter', deviceId: 'o-1' }

  beforeAll(async () => {
    peer = await startOrangePeer({ lines: 3, users: [{ username: 'ak-test', password: 'orange-pw' }] })
    const p = new URL(peer.url)
    link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { simReadDeadlineMs: 1500 })
    await core.call('devices:add', device)
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ orange: { serialnumber: peer.serials[0] } }) })
    await core.call('profiles:save', { extension: 'orange', name: 'Substation', settings: { baseUrl: `${link.url}${p.pathname}`, username: 'ak-test' }, secrets: { password: 'orange-pw' } })
  })
  afterAll(async () => {
    await core.close()
    await link.close()
    await peer.close()
    await cleanup()
  })

  it('shows the cached copy as of its time, saying Orange did not answer in time, instead of waiting on the stalled answer', async () => {
    const fresh = await core.call('orange:get', { ...device, refresh: true })
    expect(fresh).toMatchObject({ fromCache: false, offline: null })
    link.set({ kind: 'stall', afterBytes: 12 })
    const view = await core.call('orange:get', { ...device, refresh: true })
    expect(view).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt, sim: fresh.sim })
    expect(view.offline).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout', params: { host: new URL(link.url).host, seconds: 1.5 } } } })
    link.set({ kind: 'pass' })
  })
})
