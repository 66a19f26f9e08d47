/**
 * The Luhn (mod 10) check digit that ends ICCIDs, IMEIs and Orange SIM serial numbers. Pure, so the core, its
 * validators and the renderer can share it.
 */

/** The digit that makes `digits` + digit pass the Luhn test; -1 when `digits` holds anything but 0–9. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0
  // The rightmost digit of the body is doubled, as it will sit next to the check digit.
  let double = true
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return (10 - (sum % 10)) % 10
}

/** Whether the last digit of `digits` is the Luhn check digit of the ones before it. */
export function luhnValid(digits: string): boolean {
  if (digits.length < 2) return false
  const check = digits.charCodeAt(digits.length - 1) - 48
  return check >= 0 && check <= 9 && luhnCheckDigit(digits.slice(0, -1)) === check
}
