import { describe, expect, it } from 'vitest'
import { decodePackageBytes } from '../../src-shared/models/package-bytes'
import { withBom } from '../helpers/byte-order-marks'

const PACKAGE = '{\n  "bundleId": "pump",\n  "displayName": {"fr_FR": "Pompe à eau"},\n  "actions": {"go": {"actionDisplayName": {"en": "Go"}}}\n}\n'

describe('decodePackageBytes', () => {
  it('reads UTF-8, with or without its byte-order mark', () => {
    expect(decodePackageBytes(Buffer.from(PACKAGE, 'utf8'))).toEqual({ ok: true, text: PACKAGE })
    expect(decodePackageBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(PACKAGE, 'utf8')]))).toEqual({ ok: true, text: PACKAGE })
  })

  // Cold trial: a Windows-1252 file was kept and uploaded with "Pompe � eau" in it, without a word.
  it('refuses a Latin-1 / Windows-1252 file, naming the line and byte of the first byte that is not UTF-8', () => {
    const bytes = Buffer.from(PACKAGE, 'latin1')
    const offset = bytes.indexOf(0xe0)
    expect(decodePackageBytes(bytes)).toEqual({
      ok: false,
      line: 3,
      message: `Line 3, byte offset ${offset}: not UTF-8 (byte 0xE0, perhaps Latin-1 or Windows-1252): save the file as UTF-8 and add it again`,
      ref: { key: 'dm.invalidUtf8', params: { line: 3, offset, byte: '0xE0' } },
    })
  })

  // Cold trial: Notepad's "Unicode" (UTF-16LE) read as fifty JSON syntax errors.
  it('refuses UTF-16 text, with or without a byte-order mark, by what it is', () => {
    const le = Buffer.from(PACKAGE, 'utf16le')
    for (const [bytes, encoding] of [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'UTF-16LE'],
      [le, 'UTF-16LE'],
      [Buffer.from(le).swap16(), 'UTF-16BE'],
    ] as const) {
      expect(decodePackageBytes(bytes)).toMatchObject({ ok: false, line: 1, ref: { key: 'dm.wideEncoding', params: { encoding } } })
    }
  })

  it('refuses UTF-16 and UTF-32 with each byte-order mark by its name, and reads UTF-8 with its own', () => {
    expect(decodePackageBytes(withBom('UTF-8', PACKAGE))).toEqual({ ok: true, text: PACKAGE })
    for (const encoding of ['UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'] as const) {
      expect(decodePackageBytes(withBom(encoding, PACKAGE))).toEqual({
        ok: false,
        line: 1,
        message: `The file is ${encoding} text, not UTF-8: save it as UTF-8 and add it again`,
        ref: { key: 'dm.wideEncoding', params: { encoding } },
      })
    }
  })
})
