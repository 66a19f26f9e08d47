import { describe, expect, it } from 'vitest'
import { createDecoder, type Decoded, type ImportEncoding } from '../../src-main/core/devices/import-decoder'
import { sniffEncoding } from '../../src-shared/models/text-bytes'
import { withBom } from '../helpers/byte-order-marks'

/** Decodes `bytes` cut into pieces of `size` bytes, as chunks arrive. */
function decode(bytes: Uint8Array, size: number, encoding: ImportEncoding = 'utf-8'): Decoded {
  const d = createDecoder(encoding)
  const parts: Decoded[] = []
  for (let i = 0; i < bytes.length; i += size) parts.push(d.write(bytes.subarray(i, i + size)))
  parts.push(d.end())
  return { text: parts.map((p) => p.text).join(''), problems: parts.flatMap((p) => p.problems) }
}

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

describe('import decoder', () => {
  it('decodes UTF-8 cut at every possible place, multi-byte characters included, and drops one byte-order mark', () => {
    const text = 'typeId,deviceId,description\nmeter,m-1,été – 東京 🚀\n'
    const input = bytes([0xef, 0xbb, 0xbf], text)
    expect(sniffEncoding(input)).toBe('UTF-8')
    for (let size = 1; size <= input.length; size++) expect(decode(input, size)).toEqual({ text, problems: [] })
  })

  it('locates invalid UTF-8 by line and byte offset, whatever the chunk size, and keeps the line structure', () => {
    // Line 2 is Latin-1 ("é" = 0xE9); line 4 has a lone continuation byte; line 5 an overlong "/" (0xC0 0xAF).
    const input = bytes('a,b\n', 'meter,caf', [0xe9], '\nok,1\n', [0x80], 'x\n', [0xc0, 0xaf], '\n')
    for (const size of [1, 2, 3, 5, 1000]) {
      const { text, problems } = decode(input, size)
      expect(problems).toEqual([
        { line: 2, offset: 13, kind: 'invalidUtf8', byte: 0xe9 },
        { line: 4, offset: 20, kind: 'invalidUtf8', byte: 0x80 },
        { line: 5, offset: 23, kind: 'invalidUtf8', byte: 0xc0 },
      ])
      expect(text.split('\n')).toHaveLength(6)
    }
  })

  it('reports surrogates, code points above U+10FFFF and a sequence the file never completes', () => {
    expect(decode(bytes('x', [0xed, 0xa0, 0x80]), 1).problems).toMatchObject([{ line: 1, offset: 1, byte: 0xed }])
    expect(decode(bytes([0xf4, 0x90, 0x80, 0x80]), 4).problems).toMatchObject([{ offset: 0, byte: 0xf4 }])
    expect(decode(bytes('ok\nab', [0xe2, 0x82]), 2).problems).toEqual([{ line: 2, offset: 5, kind: 'invalidUtf8', byte: 0xe2 }])
  })

  it('refuses NUL characters in either encoding, one problem per line', () => {
    const input = bytes('a\n', [0x62, 0, 0x63, 0], '\nd\n')
    for (const encoding of ['utf-8', 'latin1'] as const) expect(decode(input, 3, encoding).problems).toEqual([{ line: 2, offset: 3, kind: 'nul', byte: 0 }])
  })

  it('reads Latin-1 only when asked, as Windows-1252', () => {
    const input = bytes('meter,caf', [0xe9], ',', [0x80], '\n')
    expect(decode(input, 2, 'latin1')).toEqual({ text: 'meter,café,€\n', problems: [] })
  })

  it('refuses UTF-16 and UTF-32 by their byte-order mark or the NUL bytes of their ASCII, before handing on any text', () => {
    const text = 'typeId,deviceId\nmeter,u-1\n'
    const utf16le = Buffer.from(text, 'utf16le')
    const utf16be = Buffer.from(utf16le).swap16()
    const cases: [Uint8Array, string][] = [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]), 'UTF-16LE'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be]), 'UTF-16BE'],
      [utf16le, 'UTF-16LE'],
      [utf16be, 'UTF-16BE'],
      [Buffer.from('{"typeId":"t","deviceId":"j"}\n', 'utf16le'), 'UTF-16LE'],
      [bytes([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), 'UTF-32LE'],
      [bytes([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61]), 'UTF-32BE'],
      // A file too short to hold more than its byte-order mark.
      [bytes([0xff, 0xfe]), 'UTF-16LE'],
    ]
    for (const [input, encoding] of cases) {
      expect(sniffEncoding(input)).toBe(encoding)
      for (const enc of ['utf-8', 'latin1'] as const) {
        for (const size of [1, 3, 1000]) {
          const d = createDecoder(enc)
          const seen: string[] = []
          const run = () => {
            for (let i = 0; i < input.length; i += size) seen.push(d.write(input.subarray(i, i + size)).text)
            seen.push(d.end().text)
          }
          expect(run).toThrow(expect.objectContaining({ details: expect.objectContaining({ ref: { key: 'import.wideEncoding', params: { encoding } } }) }))
          expect(seen.join('')).toBe('')
        }
      }
    }
  })

  it('refuses a file asked for as Latin-1 that starts with UTF-8’s byte-order mark, however it is cut', () => {
    // Excel's "CSV UTF-8" and Fieldline's CSV export: read as Latin-1, the header's first column was "ï»¿typeId".
    const input = bytes([0xef, 0xbb, 0xbf], 'typeId,deviceId,description\nposte,p-1,Poste électrique\n')
    for (const size of [1, 2, 3, 1000]) {
      const d = createDecoder('latin1')
      const seen: string[] = []
      const run = () => {
        for (let i = 0; i < input.length; i += size) seen.push(d.write(input.subarray(i, i + size)).text)
        seen.push(d.end().text)
      }
      expect(run).toThrow(expect.objectContaining({ code: 'VALIDATION', details: expect.objectContaining({ ref: { key: 'import.utf8NotLatin1' } }) }))
      expect(seen.join('')).toBe('')
    }
    // Latin-1 text that merely starts with "ï" is Latin-1.
    expect(decode(bytes([0xef], 'x,y\n'), 1, 'latin1').text).toBe('ïx,y\n')
  })

  it('with each byte-order mark: UTF-8 read as UTF-8 and refused as Latin-1, UTF-16 and UTF-32 refused by name either way', () => {
    const text = 'typeId,deviceId\nmeter,é-1\n'
    const outcome = (input: Buffer, enc: ImportEncoding) => {
      try {
        return decode(input, 5, enc).text
      } catch (e) {
        return (e as { details?: { ref?: unknown } }).details?.ref
      }
    }
    expect(outcome(withBom('UTF-8', text), 'utf-8')).toBe(text)
    expect(outcome(withBom('UTF-8', text), 'latin1')).toEqual({ key: 'import.utf8NotLatin1' })
    for (const encoding of ['UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'] as const) {
      for (const enc of ['utf-8', 'latin1'] as const) expect(outcome(withBom(encoding, text), enc)).toEqual({ key: 'import.wideEncoding', params: { encoding } })
    }
  })

  it('takes UTF-8 with a few NUL bytes, and short files, for what they are', () => {
    expect(sniffEncoding(Buffer.from('a\nb\u0000c\u0000\nd\n'))).toBeNull()
    expect(sniffEncoding(Buffer.from('typeId,deviceId\n'))).toBeNull()
    expect(sniffEncoding(Buffer.from('a'))).toBeNull()
    expect(sniffEncoding(new Uint8Array(0))).toBeNull()
    expect(decode(Buffer.from('a,b'), 1)).toEqual({ text: 'a,b', problems: [] })
    expect(decode(new Uint8Array(0), 1)).toEqual({ text: '', problems: [] })
    // A file that starts as UTF-8 is handed on at once, so a short file's bad header is refused on its first chunk.
    expect(createDecoder('utf-8').write(Buffer.from('ab'))).toEqual({ text: 'ab', problems: [] })
    expect(createDecoder('utf-8').write(Buffer.from([0xff, 0xfe]))).toEqual({ text: '', problems: [] })
  })
})
