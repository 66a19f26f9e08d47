import { describe, expect, it } from 'vitest'
import { createSeenIds } from '../../src-main/core/devices/import-seen'

describe('the IDs an import has seen', () => {
  it('holds every ID added, through its growth, and none other', () => {
    const seen = createSeenIds()
    const count = 200_000
    for (let i = 0; i < count; i++) seen.add(`device:meter:m-${i}`)
    seen.add('device:meter:m-0')
    expect(seen.size).toBe(count)
    let missing = 0
    for (let i = 0; i < count; i++) if (!seen.has(`device:meter:m-${i}`)) missing++
    expect(missing).toBe(0)
    let found = 0
    for (let i = 0; i < count; i++) if (seen.has(`device:meter:m-${i + count}`) || seen.has(`device:valve:m-${i}`) || seen.has(`device:meter:M-${i}`)) found++
    expect(found).toBe(0)
  })

  it('tells apart IDs that differ in one character anywhere, or only by their order', () => {
    const seen = createSeenIds()
    seen.add('device:a:b')
    expect(['device:a:b', 'device:b:a', 'device:a:c', 'Device:a:b', 'device:a:b ', '', 'device:a'].map((id) => seen.has(id))).toEqual([true, false, false, false, false, false, false])
  })
})
