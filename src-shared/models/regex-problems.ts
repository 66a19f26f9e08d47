/**
 * Why a regular expression does not compile, as a closed set of codes the window says in the operator's words
 * (`dm.regexProblems.<code>`): the engine's own reason (V8's "Nothing to repeat") is English and speaks of its parser.
 * The engine's text is kept beside the code, and shown only for a reason this list does not know (`other`).
 */
export const REGEX_PROBLEMS = [
  'unclosedGroup',
  'unopenedGroup',
  'trailingBackslash',
  'nothingToRepeat',
  'countsReversed',
  'unclosedClass',
  'rangeReversed',
  'badGroup',
  'badGroupName',
  'duplicateGroupName',
  'unknownGroupName',
  'other',
] as const
export type RegexProblem = (typeof REGEX_PROBLEMS)[number]

/** V8's reasons (the end of its "Invalid regular expression: /…/: <reason>"), by code. */
const V8_REASONS: Readonly<Record<string, RegexProblem>> = {
  'Unterminated group': 'unclosedGroup',
  "Unmatched ')'": 'unopenedGroup',
  '\\ at end of pattern': 'trailingBackslash',
  'Nothing to repeat': 'nothingToRepeat',
  'numbers out of order in {} quantifier': 'countsReversed',
  'Unterminated character class': 'unclosedClass',
  'Range out of order in character class': 'rangeReversed',
  'Invalid group': 'badGroup',
  'Invalid capture group name': 'badGroupName',
  'Duplicate capture group name': 'duplicateGroupName',
  'Invalid named capture referenced': 'unknownGroupName',
  'Invalid named reference': 'unknownGroupName',
}

/** The code of an engine's reason; `other` for one it may give that is not listed (another engine, a newer V8). */
export function regexProblemOf(reason: string): RegexProblem {
  return V8_REASONS[reason] ?? 'other'
}
