import { describe, expect, it } from 'vitest'
import { checkPattern } from '../../src-main/core/dm-packages/patterns'
import { regexProblemOf } from '../../src-shared/models/regex-problems'

/** A pattern V8 refuses for each reason it gives without flags, and the code the window says it by. */
const REFUSED: readonly [string, string][] = [
  ['(a', 'unclosedGroup'],
  ['a)', 'unopenedGroup'],
  ['a\\', 'trailingBackslash'],
  ['*.zip', 'nothingToRepeat'],
  ['a{2,1}', 'countsReversed'],
  ['[a', 'unclosedClass'],
  ['[z-a]', 'rangeReversed'],
  ['(?x)', 'badGroup'],
  ['(?<1a>x)', 'badGroupName'],
  ['(?<a>x)(?<a>y)', 'duplicateGroupName'],
  ['\\k<b>(?<a>x)', 'unknownGroupName'],
]

describe('why a package’s regular expression does not compile', () => {
  it('has a code for every reason the engine gives, and "other" for one it does not know', () => {
    for (const [pattern, code] of REFUSED) {
      const check = checkPattern(pattern)
      expect(check.compiles ? null : check.problem, pattern).toBe(code)
    }
    expect(regexProblemOf('Some reason a newer engine gives')).toBe('other')
  })
})
