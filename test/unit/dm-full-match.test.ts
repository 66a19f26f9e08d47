import { describe, expect, it } from 'vitest'
import { compileFullMatch, type MatchBudget } from '../../src-shared/models/full-match'
import { javaConstruct } from '../../src-main/core/dm-packages/patterns'

/** Seeded PRNG (mulberry32): the same cases on every run, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function matcher(pattern: string) {
  const m = compileFullMatch(pattern)
  if (!m.ok) throw new Error(`${pattern}: ${m.reason}`)
  return (s: string) => m.test(s)
}

describe('whole-value matching without backtracking', () => {
  it('matches the IBM example patterns as a whole value, like Java String.matches', () => {
    const id = matcher('\\w+')
    expect(id('testPluginA')).toBe(true)
    expect(id('test-plugin')).toBe(false) // a search would find "test"; the whole value must match
    expect(id('')).toBe(false)
    const uri = matcher('((http:\\/\\/|https:\\/\\/)(.*)+)')
    expect(uri('http://www.example.com/testPluginA.zip')).toBe(true)
    expect(uri('ftp://www.example.com/x')).toBe(false)
    expect(uri('see http://x')).toBe(false)
  })

  it('answers in linear time where V8 backtracks exponentially', () => {
    // V8 needs about 250 ms for 24 characters here and doubles per character; 100,000 take milliseconds.
    const uri = matcher('((http:\\/\\/|https:\\/\\/)(.*)+)')
    const evil = matcher('(a+)+$')
    // The times, with V8 as the baseline, are test/bench/dm-hostile.bench.ts's to show; this checks the answers.
    expect(uri(`http://${'a'.repeat(100_000)}\n`)).toBe(false)
    expect(evil(`${'a'.repeat(100_000)}!`)).toBe(false)
    expect(matcher('(a|a)*b')('a'.repeat(100_000))).toBe(false)
    expect(matcher('(\\w*)*\\d')('x'.repeat(50_000))).toBe(false)
  })

  it('reads Annex B corners the way new RegExp(p) does', () => {
    const cases: [string, string, boolean][] = [
      ['\\u{3}', 'uuu', true], // \u without 4 hex digits is "u", then {3}
      ['a{', 'a{', true],
      ['a{1', 'a{1', true],
      ['x{,2}', 'x{,2}', true],
      ['\\p{L}', 'p{L}', true], // no u flag: \p is "p"
      ['[\\d-z]', '-', true],
      ['[\\d-z]', 'z', true],
      ['[\\d-z]', '5', true],
      ['[\\d-z]', 'y', false],
      ['\\cJ', '\n', true],
      ['[\\b]', '\b', true],
      ['[]', '', false],
      ['[]', 'a', false],
      ['[^]', '\n', true],
      ['.', '\n', false],
      ['.', '\u2028', false],
      ['\\s', '\u00a0', true],
      ['\\s', '\ufeff', true],
      ['\\x41\\u0042', 'AB', true],
      ['\\xZ', 'xZ', true],
      [']}', ']}', true],
      ['a|', '', true],
      ['()', '', true],
      ['(?<name>ab)+', 'abab', true],
      ['\\bfoo\\b', 'foo', true],
      ['a\\Bb', 'ab', true],
      ['a\\bb', 'ab', false],
      ['^a$', 'a', true],
      ['a^', 'a', false],
      ['(a*)*', 'aaa', true],
      ['(?:a?){3}b', 'b', true],
      ['a{2,3}?', 'aaa', true],
      ['a{2,3}', 'aaaa', false],
      ['😀', '😀', true],
      ['[😀]', '😀', false], // without u, a class holds two code units and matches one of them
      ['[😀]{2}', '😀', true],
    ]
    for (const [pattern, input, expected] of cases) {
      expect(new RegExp(`^(?:${pattern})$`).test(input), `native ${pattern} on ${JSON.stringify(input)}`).toBe(expected)
      expect(matcher(pattern)(input), `${pattern} on ${JSON.stringify(input)}`).toBe(expected)
    }
  })

  it('reports what a finite automaton cannot do instead of guessing', () => {
    for (const [pattern, construct] of [
      ['(a)\\1', '\\1'],
      ['(?=a)a', '(?='],
      ['(?!a)b', '(?!'],
      ['(?<=a)b', '(?<='],
      ['(?<!a)b', '(?<!'],
      ['(?<x>a)\\k<x>', '\\k'],
      ['\\01', '\\0'],
      ['(?i:a)', '(?i'],
    ] as const) {
      expect(compileFullMatch(pattern), pattern).toEqual({ ok: false, reason: 'unsupported', construct: expect.stringContaining(construct) })
    }
    for (const pattern of ['a{1001}', 'a{2,5000}', '(a{1000}){1000}', '('.repeat(200) + ')'.repeat(200), 'a{99999999999}']) {
      expect(compileFullMatch(pattern), pattern.slice(0, 20)).toEqual({ ok: false, reason: 'tooComplex' })
    }
  })

  it('charges value length × pattern size to a shared budget and refuses to run beyond it', () => {
    const m = compileFullMatch('\\w+')
    if (!m.ok) throw new Error('unexpected')
    const budget: MatchBudget = { remaining: 100 * m.size }
    expect(m.test('a'.repeat(49), budget)).toBe(true)
    expect(budget.remaining).toBe(50 * m.size)
    expect(m.test('a'.repeat(60), budget)).toBeUndefined()
    expect(budget.remaining).toBe(50 * m.size)
  })

  it('agrees with V8 on thousands of random patterns and values (seeded)', () => {
    const random = prng(20240611)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
    const atoms = ['a', 'b', '-', '.', '\\d', '\\w', '\\s', '\\W', '[ab]', '[^a]', '[a-c]', '[\\w-]', '[-a]', '\\b', '\\B', '^', '$', '\\x61', '\\u0062', '\\/', '{', '}', ']', '\\.', ' ', '\\n', '1']
    const quantifiers = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '??', '{0,2}?']
    let names = 0
    const sequence = (depth: number): string => {
      let out = ''
      const n = 1 + Math.floor(random() * 4)
      for (let i = 0; i < n; i++) {
        const r = random()
        const atom =
          depth < 3 && r < 0.15
            ? `(${alternation(depth + 1)})`
            : depth < 3 && r < 0.25
              ? `(?:${alternation(depth + 1)})`
              : depth < 3 && r < 0.28
                ? `(?<g${names++}>${alternation(depth + 1)})`
                : pick(atoms)
        out += atom + pick(quantifiers)
      }
      return out
    }
    const alternation = (depth: number): string => (random() < 0.25 ? `${sequence(depth)}|${sequence(depth)}` : sequence(depth))
    const alphabet = 'ab-c _\n1.'
    let compared = 0
    let supported = 0
    let patterns = 0
    while (patterns < 3000) {
      const pattern = alternation(0)
      let native: RegExp
      try {
        native = new RegExp(`^(?:${pattern})$`)
      } catch {
        continue // quantified assertions and the like: not a pattern the validator would ever hand over
      }
      patterns++
      const m = compileFullMatch(pattern)
      if (!m.ok) continue
      supported++
      for (let k = 0; k < 12; k++) {
        let input = ''
        const length = Math.floor(random() * 7)
        for (let i = 0; i < length; i++) input += pick([...alphabet])
        // Short values keep V8's backtracking fast even on nested quantifiers.
        expect(m.test(input), `${pattern} on ${JSON.stringify(input)}`).toBe(native.test(input))
        compared++
      }
    }
    expect(supported).toBe(patterns) // the grammar above uses only supported constructs
    expect(compared).toBeGreaterThan(30_000)
  })
})

describe('Java regular-expression syntax', () => {
  it('names the first Java-only construct', () => {
    const cases: [string, string | undefined][] = [
      ['\\w+', undefined],
      ['((http:\\/\\/|https:\\/\\/)(.*)+)', undefined],
      ['a+?', undefined],
      ['\\++', undefined],
      ['(?:a)', undefined],
      ['\\w++', '++'],
      ['a*+', '*+'],
      ['a?+', '?+'],
      ['a{2}+', '}+'],
      ['(?>ab)', '(?>'],
      ['(?i)abc', '(?i)'],
      ['\\Aabc\\z', '\\A'],
      ['abc\\Z', '\\Z'],
      ['\\p{Alpha}+', '\\p{Alpha}'],
      ['[a-z&&[^e]]', '&&'],
      ['\\Q.*\\E', '\\Q'],
      ['\\h', '\\h'],
    ]
    for (const [pattern, construct] of cases) expect(javaConstruct(pattern), pattern).toBe(construct)
  })
})
