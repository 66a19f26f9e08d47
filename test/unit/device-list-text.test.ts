import { describe, expect, it } from 'vitest'
import { compareKeys } from '../../src-main/core/store/index-db'
import { fold, naturalKey, searchTerms, words } from '../../src-main/core/devices/listing/text'
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
})
