import { describe, expect, it } from 'vitest'
import { compareKeys } from '../../src-main/core/store/index-db'
import { fold, naturalKey, naturalPrefixes, searchTerms, words } from '../../src-main/core/devices/listing/text'
import { prng } from '../peers/mbed/registry'
import { cellText, csvRecord, formulaSafe } from '../../src-shared/models/device-table'

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
