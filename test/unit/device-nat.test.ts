/**
 * A device's nat ends with its shape (which letters are upper case, how many leading zeros each digit run has) rather
 * than its raw `type:id`: the nat must still name the device, and devices must keep the order they had when the raw
 * `type:id` broke ties between equal natural keys (the order the brute-force reference in device-fleet.ts checks).
 */
import { describe, expect, it } from 'vitest'
import { compareKeys } from '../../src-main/core/store/index-db'
import { naturalKey } from '../../src-main/core/devices/listing/text'
import { docIdOfNat, idSortKey, idSortValue, keyOfNat, natKey, natOfIdSortKey, sortPrefix } from '../../src-main/core/devices/listing/keys'
import type { DeviceKey } from '../../src-shared/models/device-id'
import { prng } from '../peers/mbed/registry'

/** The nat as it was (format 4): natural keys, then the raw `type:id`. */
const rawNat = (k: DeviceKey) => `${naturalKey(k.typeId)}\u0001${naturalKey(k.deviceId)}\u0000${k.typeId}:${k.deviceId}`
const label = (k: DeviceKey) => `${k.typeId}:${k.deviceId}`
const inOrder = (keys: DeviceKey[], key: (k: DeviceKey) => string) => [...keys].sort((a, b) => compareKeys(key(a), key(b))).map(label)

/** Canonical pieces (lower case, no leading zeros) and what a variant adds: case, leading zeros before '.', '-', letters, the end. */
const PIECES = ['a', 'b', 'gw', '-', '.', '_', '0', '1', '10', '7']

function randomBase(random: () => number, most: number): string {
  const n = 1 + Math.floor(random() * most)
  let id = ''
  for (let i = 0; i < n; i++) id += PIECES[Math.floor(random() * PIECES.length)]
  return id.slice(0, 30)
}

/** An ID of the same natural key as `base`: some letters in upper case, some digit runs with leading zeros. */
function variant(random: () => number, base: string): string {
  return base
    .replace(/[a-z]/g, (c) => (random() < 0.3 ? c.toUpperCase() : c))
    .replace(/\d+/g, (run) => '0'.repeat(random() < 0.4 ? Math.floor(random() * 3) : 0) + run)
    .slice(0, 36)
}

describe("a device's nat", () => {
  it('names the device and orders devices as the raw type and ID did, on random keys full of ties', () => {
    const random = prng(38)
    const keys = new Map<string, DeviceKey>()
    const types = Array.from({ length: 8 }, () => randomBase(random, 2))
    const ids = Array.from({ length: 400 }, () => randomBase(random, 4))
    while (keys.size < 3000) {
      const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)]!
      const k = { typeId: variant(random, pick(types)), deviceId: variant(random, pick(ids)) }
      keys.set(label(k), k)
    }
    const all = [...keys.values()]
    // Ties are the point: many devices share natural keys with others.
    const groups = new Map<string, number>()
    for (const k of all) groups.set(rawNat(k).split('\u0000')[0]!, (groups.get(rawNat(k).split('\u0000')[0]!) ?? 0) + 1)
    const tied = all.filter((k) => groups.get(rawNat(k).split('\u0000')[0]!)! > 1).length
    expect(tied).toBeGreaterThan(all.length / 2)
    for (const k of all) {
      const nat = natKey(k)
      expect(keyOfNat(nat)).toEqual(k)
      expect(docIdOfNat(nat)).toBe(`device:${k.typeId}:${k.deviceId}`)
      expect(natOfIdSortKey(idSortKey(nat), sortPrefix('deviceId').length)).toBe(nat)
    }
    expect(new Set(all.map(natKey)).size).toBe(all.length)
    expect(inOrder(all, natKey)).toEqual(inOrder(all, rawNat))
    // The ID column's entries keep the order of `<sort value>\0<nat>` they had.
    expect(inOrder(all, (k) => idSortKey(natKey(k)))).toEqual(inOrder(all, (k) => `${idSortValue(rawNat(k))}\u0000${rawNat(k)}`))
  })

  it('keeps IDs that differ only by case or leading zeros apart, in their raw order', () => {
    const ids = ['gw-1', 'GW-1', 'Gw-1', 'gW-1', 'gw-01', 'GW-001', 'gw-0', 'gw-00', 'gw-000', 'gw-0.a', 'gw-00.a', 'gw-0a', 'gw-00a', 'gw-0_a', 'gw-00_a', 'gw-0-', 'gw-00-']
    const keys = ids.map((deviceId) => ({ typeId: 'gw', deviceId }))
    expect(new Set(keys.map(natKey)).size).toBe(ids.length)
    for (const k of keys) expect(keyOfNat(natKey(k))).toEqual(k)
    expect(inOrder(keys, natKey)).toEqual(inOrder(keys, rawNat))
    // Types too, whose runs of zeros are followed by the ':' before the ID.
    const types = ['m0', 'm00', 'M0', 'm0a', 'm00a', 'm0.b', 'm00.b', 'Valve', 'valve', 'VALVE'].map((typeId) => ({ typeId, deviceId: 'X-01' }))
    for (const k of types) expect(keyOfNat(natKey(k))).toEqual(k)
    expect(inOrder(types, natKey)).toEqual(inOrder(types, rawNat))
  })

  it('holds IDs at the length cap, upper-case IDs and IDs of zeros', () => {
    const ids = ['A'.repeat(36), 'a'.repeat(36), '0'.repeat(36), '0'.repeat(35) + '1', 'Z9'.repeat(18), `${'x'.repeat(35)}Y`, '0', '.', '-_.']
    const keys = ids.flatMap((deviceId) => [
      { typeId: 'T'.repeat(36), deviceId },
      { typeId: '0'.repeat(36), deviceId },
      { typeId: '-', deviceId },
    ])
    for (const k of keys) expect(keyOfNat(natKey(k))).toEqual(k)
    expect(inOrder(keys, natKey)).toEqual(inOrder(keys, rawNat))
    // A device of the usual shape costs three characters after its natural keys, not its type and ID again.
    expect(natKey({ typeId: 'meter', deviceId: 'dev-0123456' })).toBe(`meter\u0001dev-006123456\u0000~~${String.fromCharCode(0x30 + 40 - 1)}`)
  })

  it('names keys the index cannot hold (a lookup of an ID outside the pattern) by their raw type and ID', () => {
    for (const k of [
      { typeId: 'gw', deviceId: 'Évry' },
      { typeId: 'a b', deviceId: 'x:y' },
      { typeId: 'gw', deviceId: 'x'.repeat(80) },
    ]) {
      expect(keyOfNat(natKey(k))).toEqual(k)
      expect(natKey(k)).not.toBe(natKey({ typeId: 'gw', deviceId: 'evry' }))
    }
  })
})
