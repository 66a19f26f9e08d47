import { describe, expect, it } from 'vitest'
import type { TrashEntry } from '../../src-shared/models/trash'
import { trashEntryName } from '../../src-renderer/src/lib/trash-names'

const at = { deletedAt: '2026-12-04T10:00:00.000Z', deletedBy: 'operator', purgeAt: '2027-01-03T10:00:00.000Z' }
const entry = (id: string, item: TrashEntry['item'], target: string, label: string): TrashEntry => ({ id: id.padStart(16, '0'), item, target, label, ...at })

describe('how the trash names an entry', () => {
  const nord = entry('1', 'profile', 'jasper/jasper-prod-e996', 'Jasper Nord')
  const device = entry('2', 'device', 'meter/m-1', 'north meter')

  it('names a profile by its name and anything else by its target', () => {
    const all = [nord, device, entry('3', 'package', 'walk-v1', '2.0')]
    expect(all.map((e) => trashEntryName(e, all))).toEqual(['Jasper Nord', 'meter/m-1', 'walk-v1'])
  })

  it('adds the id to profiles that would read alike, whatever their case and spaces, and only to those', () => {
    const twin = entry('4', 'profile', 'jasper/jasper-nord-1a2b', ' jasper NORD')
    const sud = entry('5', 'profile', 'jasper/jasper-sud-3c4d', 'Jasper Sud')
    // A device described like the profile does not read like a profile: its Name is its target.
    const described = entry('6', 'device', 'meter/m-2', 'Jasper Nord')
    const all = [nord, twin, sud, described]
    expect(all.map((e) => trashEntryName(e, all))).toEqual(['Jasper Nord (jasper/jasper-prod-e996)', ' jasper NORD (jasper/jasper-nord-1a2b)', 'Jasper Sud', 'meter/m-2'])
  })

  it('falls back to the target of a profile stored without a name', () => {
    const unnamed = entry('7', 'profile', 'atnt/spare-0001', ' ')
    expect(trashEntryName(unnamed, [unnamed])).toBe('atnt/spare-0001')
  })
})
