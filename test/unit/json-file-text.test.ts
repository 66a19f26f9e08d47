/**
 * The CLI's JSON files (`devices config set`): UTF-8 with or without its byte-order mark and UTF-16 of either byte order
 * are decoded, UTF-32 is refused by its name, bytes that are not UTF-8 where they first are.
 */
import { describe, expect, it } from 'vitest'
import { jsonFileText } from '../../src-main/cli/json-file-text'
import { withBom } from '../helpers/byte-order-marks'

const CONFIG = '{"jasper": {"iccid": "89011704252316180063", "note": "Pompe à eau"}}\n'

describe('jsonFileText', () => {
  it('decodes UTF-8 and UTF-16 with each byte-order mark, the mark dropped', () => {
    for (const encoding of ['UTF-8', 'UTF-16LE', 'UTF-16BE'] as const) expect(jsonFileText(withBom(encoding, CONFIG))).toEqual({ text: CONFIG })
    expect(jsonFileText(Buffer.from(CONFIG, 'utf8'))).toEqual({ text: CONFIG })
    expect(jsonFileText(Buffer.from(CONFIG, 'utf16le'))).toEqual({ text: CONFIG })
  })

  it('refuses UTF-32 of either byte order by its name', () => {
    for (const encoding of ['UTF-32LE', 'UTF-32BE'] as const) expect(jsonFileText(withBom(encoding, CONFIG))).toEqual({ unreadable: { encoding } })
  })

  it('refuses bytes that are not UTF-8 where they first are', () => {
    const bytes = Buffer.from(CONFIG, 'latin1')
    expect(jsonFileText(bytes)).toEqual({ unreadable: { line: 1, offset: bytes.indexOf(0xe0), byte: '0xE0' } })
  })
})
