/**
 * The one decision of a file's encoding from its first bytes (src-shared/models/text-bytes.ts), which the device
 * import, package files and the CLI's JSON files all take; each caller's own policy is tested with its own tests
 * (import-decoder, package-bytes, json-file-text).
 */
import { describe, expect, it } from 'vitest'
import { isWide, sniffEncoding } from '../../src-shared/models/text-bytes'
import { withBom } from '../helpers/byte-order-marks'

const TEXT = '{"typeId": "meter", "deviceId": "m-1"}\n'

const MARKED = ['UTF-8', 'UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'] as const

describe('sniffEncoding', () => {
  it('names each byte-order mark, and UTF-16 without one by the zero bytes of its ASCII', () => {
    for (const encoding of MARKED) expect(sniffEncoding(withBom(encoding, TEXT))).toBe(encoding)
    expect(sniffEncoding(Buffer.from(TEXT, 'utf16le'))).toBe('UTF-16LE')
    expect(sniffEncoding(Buffer.from(TEXT, 'utf16le').swap16())).toBe('UTF-16BE')
    expect(sniffEncoding(Buffer.from(TEXT, 'utf8'))).toBeNull()
    expect(sniffEncoding(Buffer.from('Pompe à eau\n', 'latin1'))).toBeNull()
  })

  it('says UTF-16 and UTF-32 are wide, UTF-8 and unmarked text not', () => {
    expect(MARKED.filter((e) => isWide(e))).toEqual(['UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'])
    expect(isWide(null)).toBe(false)
  })

  it('on a stream, waits while a mark is cut short or a zero byte leaves it open, and decides at its end', () => {
    for (const encoding of MARKED) {
      const whole = withBom(encoding, TEXT)
      // Every prefix either cannot tell yet or already tells the truth; none tells something else.
      for (let n = 0; n <= whole.length; n++) expect([undefined, encoding]).toContain(sniffEncoding(whole.subarray(0, n), false))
      expect(sniffEncoding(whole, false)).toBe(encoding)
    }
    expect(sniffEncoding(Buffer.from([0xff, 0xfe]), false)).toBeUndefined()
    expect(sniffEncoding(Buffer.from([0xff, 0xfe]))).toBe('UTF-16LE')
    expect(sniffEncoding(Buffer.from([0xef, 0xbb]), false)).toBeUndefined()
    // UTF-8 text is let through at its first two bytes.
    expect(sniffEncoding(Buffer.from('ty'), false)).toBeNull()
  })
})
