import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SimRow } from '../../src-shared/models/sim-inventory'
import { refusedShares, type SyncStatus } from '../../src-shared/models/sync'
import { simSearchText } from '../../src-renderer/src/lib/palette-match'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'
import { stubWindow } from './stub-window'
import { STOPPED } from './sync-status'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))
stubWindow()

const { offeredCommands, PaletteState, PALETTE_COMMANDS } = await import('../../src-renderer/src/lib/state/palette.svelte')
const { simViewFromSearch } = await import('../../src-renderer/src/lib/sim-view')

const spare: SimRow = {
  carrier: 'orange',
  simId: '1660599267499',
  iccid: '89330116605992674910',
  account: 'orange:lab',
  status: 'activated',
  statusRaw: 'ACTIVATED',
  ratePlan: null,
  communicationPlan: null,
  dataBytes: null,
  smsCount: null,
  lastSessionAt: null,
  asOf: '2026-12-01T00:00:00.000Z',
  usageAsOf: null,
  devices: [],
}

const noDevice = ok({ total: 0, totalExact: true, items: [] })

beforeEach(() => {
  vi.useFakeTimers()
  fake.reset()
  location.hash = ''
})
afterEach(() => vi.useRealTimers())

describe('the SIM fragment the palette asks the inventory for', () => {
  it('is a run of at least four digits (an ICCID or serial number), nothing else', () => {
    expect(simSearchText(' 599267 ')).toBe('599267')
    expect(simSearchText('8933011660599267491012')).toBe('8933011660599267491012')
    expect(simSearchText('599')).toBe('')
    expect(simSearchText('meter 5992')).toBe('')
    expect(simSearchText('5'.repeat(25))).toBe('')
  })
})

describe("the palette's search", () => {
  it('asks the SIM inventory for SIMs no device holds by a fragment of their digits, with the devices', async () => {
    const palette = new PaletteState()
    palette.setQuery('599267')
    expect(palette.searching).toBe(true)
    await vi.advanceTimersByTimeAsync(200)
    expect(fake.pending('devices:query')[0]!.input).toMatchObject({ query: { text: '599267' } })
    expect(fake.answer('sims:query', ok({ total: 1, items: [spare] }))).toEqual({
      query: { filters: { text: '599267', attached: false }, sort: 'simId', descending: false },
      limit: 5,
    })
    fake.answer('devices:query', noDevice)
    await settle()
    expect(palette.searching).toBe(false)
    expect(palette.sims).toEqual([spare])
    expect(palette.error).toBeNull()
  })

  it('asks only the devices for text that is not a SIM fragment', async () => {
    const palette = new PaletteState()
    palette.setQuery('meter/m-1')
    await vi.advanceTimersByTimeAsync(200)
    expect(fake.pending('devices:query')).toHaveLength(1)
    expect(fake.pending('sims:query')).toHaveLength(0)
  })

  it("says the inventory's refusal and keeps the devices found", async () => {
    const palette = new PaletteState()
    palette.setQuery('12345')
    await vi.advanceTimersByTimeAsync(200)
    fake.answer('sims:query', refused('NETWORK', 'down'))
    fake.answer('devices:query', noDevice)
    await settle()
    expect(palette.sims).toEqual([])
    expect(palette.error).toMatchObject({ code: 'NETWORK' })
  })

  it('drops an older answer that arrives after the newer question', async () => {
    const palette = new PaletteState()
    palette.setQuery('1660')
    await vi.advanceTimersByTimeAsync(200)
    palette.setQuery('16605')
    await vi.advanceTimersByTimeAsync(200)
    fake.answer('sims:query', ok({ total: 1, items: [spare] }), 1)
    fake.answer('devices:query', noDevice, 1)
    await settle()
    fake.answer('sims:query', ok({ total: 0, items: [] }))
    fake.answer('devices:query', noDevice)
    await settle()
    expect(palette.sims).toEqual([spare])
  })

  it('opens a SIM on the SIMs page, searched by its id within its carrier, and closes', () => {
    const palette = new PaletteState()
    palette.show()
    palette.go({ sim: spare })
    expect(palette.open).toBe(false)
    expect(location.hash.startsWith('#/sims?')).toBe(true)
    const view = simViewFromSearch(location.hash.slice('#/sims?'.length))
    expect(view.text).toBe('1660599267499')
    expect(view.filters).toEqual({ carrier: ['orange'] })
  })
})

describe('the command palette under a role', () => {
  const roleStatus = (role: SyncStatus['role']): SyncStatus => ({
    ...STOPPED,
    role,
    roleAsOf: '2026-12-05T08:00:00.000Z',
    refused: refusedShares(role, ['devices', 'profiles', 'packages', 'audit', 'teamSettings']),
  })

  it('leaves out the actions whose controls the role turns off', async () => {
    const actions = (s: SyncStatus | null) => offeredCommands(s).flatMap((c) => (c.kind === 'action' ? [c.id] : []))
    expect(actions(null)).toEqual(['action-import', 'action-add-device', 'action-mbed-start', 'action-new-job', 'action-invite'])
    expect(actions(roleStatus('viewer'))).toEqual(['action-mbed-start', 'action-new-job'])
    expect(actions(roleStatus('operator'))).toEqual(['action-import', 'action-add-device', 'action-mbed-start', 'action-new-job'])
    // Views are always offered: a viewer reads every one of them.
    expect(offeredCommands(roleStatus('viewer')).filter((c) => c.kind === 'view')).toEqual(PALETTE_COMMANDS.filter((c) => c.kind === 'view'))
  })
})
