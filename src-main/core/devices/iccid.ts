/**
 * Luhn check over an ICCID's digits. A mismatch is only a warning: carriers' own APIs return ICCIDs that
 * fail it (some omit or recompute the check digit), so refusing them would lock operators out of real SIMs.
 */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/**
 * A spreadsheet that treated an ICCID as a number shows it as "8.98822E+18": the digits are gone and
 * cannot be recovered, so such a value must be refused, never "fixed".
 */
export function looksLikeMangledNumber(value: string): boolean {
  return /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i.test(value.trim())
}
