/**
 * Exact decimals for "scale by 10^n": a device's 21.5 °C scaled by 10^3 must become exactly 21500, and 2^255 − 1 must
 * survive, so values are kept as `digits × 10^exp` with a bigint mantissa instead of a double.
 */
export interface Decimal {
  digits: bigint
  exp: number
}

/** Exponents beyond this are outside any double and any int256 once scaled; refusing them bounds the bigint work. */
const MAX_EXPONENT = 400
const DECIMAL = /^([+-]?)(\d{1,100})(?:\.(\d{1,100}))?(?:[eE]([+-]?\d{1,4}))?$/

export function parseDecimal(text: string): Decimal | null {
  const m = DECIMAL.exec(text.trim())
  if (!m) return null
  const [, sign, whole, fraction = '', e = '0'] = m
  const exp = Number(e) - fraction.length
  if (Math.abs(exp) > MAX_EXPONENT) return null
  const digits = BigInt(`${whole}${fraction}`)
  return { digits: sign === '-' ? -digits : digits, exp }
}

/** A finite double as an exact decimal of its shortest round-trip text (what the device's JSON said). */
export function decimalOfNumber(n: number): Decimal | null {
  return Number.isFinite(n) ? parseDecimal(String(n)) : null
}

/** The value × 10^scale as an integer, rounded half away from zero. */
export function scaledInteger(d: Decimal, scale: number): bigint {
  const exp = d.exp + scale
  if (exp >= 0) return d.digits * 10n ** BigInt(exp)
  const divisor = 10n ** BigInt(-exp)
  const negative = d.digits < 0n
  const magnitude = negative ? -d.digits : d.digits
  let q = magnitude / divisor
  if ((magnitude % divisor) * 2n >= divisor) q += 1n
  return negative ? -q : q
}

/** The value × 10^scale as text without exponent (for string parameters). */
export function scaledText(d: Decimal, scale: number): string {
  const exp = d.exp + scale
  if (exp >= 0) return (d.digits * 10n ** BigInt(exp)).toString()
  const negative = d.digits < 0n
  const text = (negative ? -d.digits : d.digits).toString().padStart(-exp + 1, '0')
  const cut = text.length + exp
  const fraction = text.slice(cut).replace(/0+$/, '')
  return `${negative ? '-' : ''}${text.slice(0, cut)}${fraction ? `.${fraction}` : ''}`
}

export function toNumber(d: Decimal): number {
  return Number(`${d.digits}e${d.exp}`)
}
