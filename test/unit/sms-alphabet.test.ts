/**
 * What each SMS data coding can carry (cold trial: "≥" and an emoji went out with GSM 7-bit chosen, and the carrier
 * would have turned them into something else).
 */
import { describe, expect, it } from 'vitest'
import { firstUncarriedCharacter } from '../../src-shared/models/sms-alphabet'

describe('the first character a data coding cannot carry', () => {
  it('is none for GSM 7-bit text, its accented letters and its escaped characters included', () => {
    expect(firstUncarriedCharacter('Température élevée: 5 € [ok] ~ ^', 0)).toBeNull()
  })

  it('names the first one outside GSM 7-bit, ASCII, Latin-1 or one octet', () => {
    expect(firstUncarriedCharacter('Arrêt ≥ 5 🙂', 0)).toBe('ê')
    expect(firstUncarriedCharacter('T ≥ 5 🙂', 0)).toBe('≥')
    expect(firstUncarriedCharacter('Arrêt', 1)).toBe('ê')
    expect(firstUncarriedCharacter('Arrêt 5 €', 3)).toBe('€')
    expect(firstUncarriedCharacter('Alerte 🙂', 4)).toBe('🙂')
  })

  it('is none for UCS-2, and without a data coding (the carrier picks the one the text needs)', () => {
    expect(firstUncarriedCharacter('Arrêt ≥ 5 🙂', 8)).toBeNull()
    expect(firstUncarriedCharacter('Arrêt ≥ 5 🙂', undefined)).toBeNull()
  })
})
