/**
 * Strict RFC 4648 base64 (padding required, no whitespace, no URL alphabet): how mbed payloads (docs/wire/mbed.md §1.6),
 * Control Center's BASE64 SMS text and a ledger route's base64 source are read, in the forms and in the core alike.
 *
 * A loop over the characters rather than a regex: V8's regex engine backtracks through `(?:x{4})*` recursively, and a
 * 7.5 MB payload overflowed the stack and stopped the bridge (issue 10).
 */
export function isStrictBase64(text: string): boolean {
  const n = text.length
  if (n % 4 !== 0) return false
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) continue
    // '=' only as the last character, or the last two.
    if (c === 61 && (i === n - 1 || (i === n - 2 && text.charCodeAt(n - 1) === 61))) continue
    return false
  }
  return true
}
