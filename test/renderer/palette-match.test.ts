import { describe, expect, it } from 'vitest'
import { deviceSearchText, entryScore, matchScore, rankEntries, type PaletteEntry } from '../../src-renderer/src/lib/palette-match'

const view = (id: string, label: string): PaletteEntry => ({ kind: 'view', id, label })
const action = (id: string, label: string): PaletteEntry => ({ kind: 'action', id, label })
const device = (typeId: string, deviceId: string, simId?: string): PaletteEntry => ({
  kind: 'device',
  id: `device-${typeId}/${deviceId}`,
  label: `${typeId}/${deviceId}`,
  aliases: [deviceId, ...(simId ? [simId] : [])],
})

describe("the palette's matching", () => {
  it('ranks a whole match over a prefix, a prefix over a word start, a word start over a fragment, a fragment over scattered letters', () => {
    const whole = matchScore('meter', 'meter')!
    const prefix = matchScore('meter', 'meters')!
    const wordStart = matchScore('meter', 'water meter')!
    const fragment = matchScore('meter', 'gasmeter')!
    const scattered = matchScore('mtr', 'meter')!
    expect([whole, prefix, wordStart, fragment, scattered].every((s) => s !== null)).toBe(true)
    expect(whole).toBeGreaterThan(prefix)
    expect(prefix).toBeGreaterThan(wordStart)
    expect(wordStart).toBeGreaterThan(fragment)
    expect(fragment).toBeGreaterThan(scattered)
  })

  it('ignores case and accents, and refuses letters out of order', () => {
    expect(matchScore('ELECTRICITE', 'Électricité')).toBe(1000)
    expect(matchScore('paramètres', 'Parametres')).toBe(1000)
    expect(matchScore('rtm', 'meter')).toBeNull()
    expect(matchScore('meterx', 'meter')).toBeNull()
  })

  it('among equal matches prefers the shorter text', () => {
    expect(matchScore('gw', 'gw-1')!).toBeGreaterThan(matchScore('gw', 'gw-100000')!)
  })

  it("scores an entry by the best of its label and aliases (a device by its ID or its SIM's ICCID)", () => {
    const d = device('meter', 'm-0042', '89011234567890123456')
    expect(entryScore('m-0042', d)).toBe(1000)
    expect(entryScore('8901123', d)).toBeGreaterThan(800)
    expect(entryScore('zzz', d)).toBeNull()
  })
})

describe("the palette's ranking", () => {
  const commands = [view('devices', 'Devices'), view('settings', 'Settings'), action('import', 'Import devices'), action('add', 'Add a device')]

  it('shows every view and action, in their order, for an empty query', () => {
    expect(rankEntries('', commands, [], 10).map((e) => e.id)).toEqual(['devices', 'settings', 'import', 'add'])
  })

  it('puts the best match first across kinds and leaves out the views and actions that do not match', () => {
    const found = [device('gateway', 'dev-7'), device('meter', 'devices-lab')]
    expect(rankEntries('devices', commands, found, 10).map((e) => e.id)).toEqual(['devices', 'device-meter/devices-lab', 'import', 'device-gateway/dev-7'])
  })

  it('keeps a device the index found by words the palette cannot see (its description), after the scored ones', () => {
    const byDescription = device('meter', 'm-9')
    const ranked = rankEntries('north', commands, [byDescription], 10)
    expect(ranked).toEqual([byDescription])
  })

  it('finds a device by a fragment of its ID and ranks the closest first', () => {
    const found = [device('meter', 'm-10042'), device('meter', 'm-0042'), device('pump', 'p-3')]
    const ranked = rankEntries('0042', commands, found, 10).map((e) => e.id)
    expect(ranked.slice(0, 2)).toEqual(['device-meter/m-0042', 'device-meter/m-10042'])
  })

  it('goes to a view before a device when both match as well, and stops at the limit', () => {
    const found = [device('settings', 'x')]
    expect(rankEntries('settings', [view('settings', 'Settings')], found, 10)[0]!.kind).toBe('view')
    expect(rankEntries('', commands, [], 2)).toHaveLength(2)
  })

  it('ranks a SIM no device holds by its ICCID or serial, after a device that matches as well', () => {
    const sim: PaletteEntry = { kind: 'sim', id: 'sim-orange/1660599267499', label: '1660599267499', aliases: ['89330116605992674910'] }
    const held = device('meter', 'm-1', '1660599267400')
    expect(rankEntries('16605992674', commands, [sim, held], 10).map((e) => e.id)).toEqual(['device-meter/m-1', 'sim-orange/1660599267499'])
    expect(rankEntries('8933011660', commands, [held, sim], 10)[0]!.id).toBe('sim-orange/1660599267499')
  })

  it('asks the device index for "type/id" as two words', () => {
    expect(deviceSearchText(' meter/m-1 ')).toBe('meter m-1')
    expect(deviceSearchText('x'.repeat(300))).toHaveLength(200)
  })
})
