import { describe, expect, it } from 'vitest'
import { compareKeys } from '../../src-main/core/store/index-db'
import { fold, naturalKey, naturalPrefixes, searchTerms, words } from '../../src-main/core/devices/listing/text'
import { prng } from '../peers/mbed/registry'
import { cellText, csvRecord, formulaSafe } from '../../src-shared/models/device-table'
import { entriesOf, firstOfDevice, natKey, natOfKey, rowWords } from '../../src-main/core/devices/listing/keys'
import type { IndexedRow } from '../../src-main/core/devices/listing/device-row'

const naturally = (xs: string[]) => [...xs].sort((a, b) => compareKeys(naturalKey(a), naturalKey(b)))

describe('device text: natural order, words and search terms', () => {
  it('orders numbers by value, ignoring case, accents and leading zeros', () => {
    expect(naturally(['gw-10', 'gw-2', 'GW-1', 'gw-002a', 'gw-', 'gw 3', 'gw-9999999999999999999999'])).toEqual(['gw 3', 'gw-', 'GW-1', 'gw-2', 'gw-002a', 'gw-10', 'gw-9999999999999999999999'])
    expect(naturally(['gw-10', 'gw-2', 'gw-1'])).toEqual(['gw-1', 'gw-2', 'gw-10'])
    expect(naturally(['Évry 2', 'evry 10', 'Zoë', 'zoe 1'])).toEqual(['Évry 2', 'evry 10', 'Zoë', 'zoe 1'])
    expect(naturalKey('007')).toBe(naturalKey('7'))
    expect(fold('ÉVRY\tNord')).toBe('evry nord')
  })

  it('finds words and the parts after their first, and searches by their beginnings', () => {
    expect(words('gw-0042 North-East, Évry v1.2')).toEqual(['gw-0042', '0042', 'north-east', 'east', 'evry', 'v1.2', '2'])
    expect(words('  --x--  ')).toEqual(['x'])
    expect(searchTerms('  North-EAST  gw-00 évry ')).toEqual(['north-east', 'gw-00', 'evry'])
    expect(searchTerms('a b c d e f g h i j')).toHaveLength(8)
  })

  it('orders keys as LevelDB does, by code point', () => {
    const astral = '\u{1F600}'
    expect(compareKeys(astral, '\uffff')).toBeGreaterThan(0)
    expect('\uffff' < astral).toBe(false)
    expect(compareKeys('a', 'ab')).toBeLessThan(0)
    expect(compareKeys('b', 'ab')).toBeGreaterThan(0)
  })
})

/**
 * The plain definitions the index's hand-written scanners must agree with (words and natural keys are index keys:
 * a scanner that differed would find nothing an older index holds, or sort it elsewhere). Regular expressions, as
 * the rules are stated.
 */
const reference = {
  naturalKey(text: string, maxChars = 64): string {
    let out = ''
    for (const m of fold(text)
      .slice(0, maxChars)
      .matchAll(/(\d+)|(\D+)/g)) {
      if (m[2] !== undefined) out += m[2]
      else out += ((digits) => `0${String(digits.length).padStart(2, '0')}${digits}`)((m[1]!.replace(/^0+/, '') || '0').slice(0, 99))
    }
    return out
  },
  words(text: string): string[] {
    const out = new Set<string>()
    for (const m of fold(text).matchAll(/[\p{L}\p{N}._-]+/gu)) {
      const word = m[0].replace(/^[._-]+|[._-]+$/g, '')
      if (!word) continue
      out.add(word.slice(0, 48))
      for (const part of word.split(/[._-]+/).slice(1)) if (part) out.add(part.slice(0, 48))
      if (out.size >= 64) break
    }
    return [...out].slice(0, 64)
  },
}

describe('device text: the scanners against their plain definitions', () => {
  it('give the same words and natural keys on random text (ASCII, accents, controls, marks, digit runs)', () => {
    const alphabet = ['a', 'B', 'z', '0', '1', '9', '0', '0', '.', '_', '-', ' ', 'é', 'É', '\u0001', '\t', 'ß', '٣', '𝟘', 'x', 'Z', ',', '/', 'ǅ', '\u0301', '１']
    const random = prng(1313)
    const texts = ['0'.repeat(150) + '12' + '3'.repeat(120) + ' ' + 'w'.repeat(100), Array.from({ length: 200 }, (_, i) => `w${i}-p${i}`).join(' ')]
    for (let t = 0; t < 20_000; t++) {
      let text = ''
      for (let i = Math.floor(random() * 40); i > 0; i--) text += alphabet[Math.floor(random() * alphabet.length)]
      if (t % 3 === 0) text = text.replace(/[^\x20-\x7e]/g, 'q')
      if (t % 7 === 0) text = text.repeat(5)
      texts.push(text)
    }
    const differing = texts.filter(
      (text) =>
        JSON.stringify(words(text)) !== JSON.stringify(reference.words(text)) ||
        naturalKey(text) !== reference.naturalKey(text) ||
        naturalKey(text, 7) !== reference.naturalKey(text, 7) ||
        naturalKey(text, Infinity) !== reference.naturalKey(text, Infinity),
    )
    expect(differing).toEqual([])
  })
})

describe('device rows as text', () => {
  it('makes cells that start a formula safe and quotes what CSV needs quoted', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', 'plain', ''].map(formulaSafe)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", 'plain', ''])
    expect(csvRecord(['a,b', 'say "hi"', 'line\nbreak', '=x', 'ok'])).toBe('"a,b","say ""hi""","line\nbreak",\'=x,ok\r\n')
    expect(cellText(['jasper', 'orange'])).toBe('jasper orange')
    expect(cellText(null)).toBe('')
  })

  it('names the ranges of natural keys that hold every ID a term begins, in order and apart', () => {
    const random = prng(77)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const digits = () => Array.from({ length: 1 + Math.floor(random() * 9) }, () => pick(['0', '0', '0', '1', '7', '9'])).join('')
    const wrong: string[] = []
    for (let i = 0; i < 1000; i++) {
      const id = `${pick(['', 'GW-', 'dev-', 'a.b_', 'x'])}${digits()}${pick(['', '-', 'z', '.5'])}${random() < 0.3 ? digits() : ''}`.slice(0, 36)
      const key = naturalKey(id)
      for (let n = 1; n <= id.length; n++) {
        const ranges = naturalPrefixes(id.slice(0, n), 36)
        if (ranges.filter((r) => key.startsWith(r)).length !== 1) wrong.push(`${id} begun by ${id.slice(0, n)}: ${ranges.join(' ')}`)
        for (let k = 1; k < ranges.length; k++) if (compareKeys(ranges[k - 1]!, ranges[k]!) >= 0 || ranges[k]!.startsWith(ranges[k - 1]!)) wrong.push(`${ranges.join(' ')} out of order`)
      }
    }
    expect(wrong.slice(0, 5)).toEqual([])
    // A trailing run of digits stays open: "dev-07" goes on as dev-07, dev-0712…, one beginning per length of the run.
    expect(naturalPrefixes('dev-07', 12)).toEqual(['dev-0017', 'dev-0027', 'dev-0037', 'dev-0047', 'dev-0057', 'dev-0067', 'dev-0077'])
    expect(naturalPrefixes('Dev-x', 36)).toEqual(['dev-x'])
  })
})

describe("a device's search postings", () => {
  const row = (deviceId: string, description: string, simId: string | null): IndexedRow => ({
    typeId: 'gw',
    deviceId,
    description,
    extensions: [],
    carrier: simId ? 'jasper' : null,
    simId,
    simStatus: null,
    ratePlan: null,
    dataBytes: null,
    simAsOf: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
    configErrors: false,
    dmSupport: false,
    latitude: null,
    longitude: null,
    weatherStatus: null,
    weatherPhrase: null,
    temperature: null,
    wind: null,
    weatherAsOf: null,
  })

  /** The postings a term reads (both families, as a search does), and how many of them count the device. */
  const counted = (entries: Map<string, string>, term: string) => {
    const keys = [...entries.keys()].filter((k) => k.startsWith(`t!${term}`) || k.startsWith(`i!${term}`))
    return { postings: keys.length, first: keys.filter((k) => firstOfDevice(k, 2, term.length)).length }
  }

  it('count a device once for every term that begins one or more of its words, ID included', () => {
    const random = prng(99)
    const pieces = ['12', '120', '1', 'gw', 'gw-12', 'a', 'ab', 'abc', 'Évry', 'ev', '\u{1F600}x', '\u{1F600}', '8988216000', '89882160000012345']
    const pick = () => pieces[Math.floor(random() * pieces.length)]!
    let shared = 0
    for (let n = 0; n < 300; n++) {
      const description = Array.from({ length: Math.floor(random() * 6) }, pick).join(' ')
      const r = row(`${pick()}-${pick()}`, description, random() < 0.5 ? `${pick()}${pick()}` : null)
      const entries = entriesOf(r, 3)
      for (const word of rowWords(r)) {
        for (const [i] of [...word].entries()) {
          const term = [...word].slice(0, i + 1).join('')
          const { postings, first } = counted(entries, term)
          expect(first, `${term} in ${JSON.stringify(rowWords(r))}`).toBe(1)
          if (postings > 1) shared++
        }
      }
      expect(counted(entries, 'zz').postings).toBe(0)
    }
    // Terms beginning several words of one device (the case counted) were met, not only single ones.
    expect(shared).toBeGreaterThan(100)
  })

  it('keep the nat after the mark, and the cell as the value', () => {
    const entries = entriesOf(row('gw-0012', 'north north-east', '8988216000000012345'), 5)
    const postings = [...entries].filter(([k]) => /^[ti]!/.test(k))
    expect(postings.map(([k]) => k.slice(0, k.indexOf('\u0000')))).toEqual(
      expect.arrayContaining(['i!gw-0012\u00010', 't!0012\u00010', 't!north\u00010', 't!north-east\u00015', 't!8988216000000012345\u00010']),
    )
    for (const [key, value] of postings) {
      expect(natOfKey(key, 2, true)).toBe(natKey({ typeId: 'gw', deviceId: 'gw-0012' }))
      expect(value).toBe('5')
    }
  })
})
