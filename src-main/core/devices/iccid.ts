/**
 * Luhn check over an ICCID's digits. A mismatch is only a warning: carriers' own APIs return ICCIDs that
 * fail it (some omit or recompute the check digit), so refusing them would lock operators out of real SIMs.
 */
export { luhnValid } from '../../../src-shared/models/luhn'

/**
 * A spreadsheet that treated an ICCID as a number shows it as "8.98822E+18": the digits are gone and
 * cannot be recovered, so such a value must be refused, never "fixed".
 */
export function looksLikeMangledNumber(value: string): boolean {
  return /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i.test(value.trim())
}
