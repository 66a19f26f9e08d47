/** What a live region says of a count that moves five times a second: the latest, at most once every few seconds (cold trial: an export's progress was spoken without a pause). */
import { describe, expect, it } from 'vitest'
import { PacedText } from '../../src-renderer/src/lib/paced-text'

describe('paced live text', () => {
  it('says the first count at once, then the latest at most once every interval, and starts over once reset', () => {
    let now = 0
    const pacer = new PacedText(5_000, () => now)
    expect(pacer.next('0 of 100')).toBe('0 of 100')
    now = 200
    expect(pacer.next('5 of 100')).toBe('0 of 100')
    now = 4_999
    expect(pacer.next('40 of 100')).toBe('0 of 100')
    now = 5_000
    expect(pacer.next('41 of 100')).toBe('41 of 100')
    now = 5_200
    expect(pacer.next('42 of 100')).toBe('41 of 100')
    pacer.reset()
    expect(pacer.next('0 of 7')).toBe('0 of 7')
  })
})
