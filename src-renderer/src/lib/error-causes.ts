import type { MessageRef } from '../../../src-shared/contract'
import { REGEX_PROBLEMS } from '../../../src-shared/models/regex-problems'
import { SIM_STATUSES } from '../../../src-shared/models/sim'
import { transportCause } from '../../../src-shared/models/transport-causes'

/**
 * The core names why a connection failed by its system code (`reason: 'ECONNREFUSED'`, core/http/transport-errors.ts)
 * and why a JSON text cannot be read by jsonc-parser's error name (`detail: 'PropertyNameExpected'`, core/json/parse.ts),
 * and why a package's regular expression does not compile by a code of models/regex-problems.ts (`regexProblem`).
 * Neither means anything to an operator: each is said here as a translated sentence — what happened and what to do —
 * and never shown as it is (a transport code's cause is the one models/transport-causes.ts gives the core as well).
 */

/** jsonc-parser's ParseErrorCode names (printParseErrorCode), and TrailingComma, which core/json/parse.ts says instead of the two errors jsonc-parser gives for one. */
const JSON_PARSE = new Set([
  'TrailingComma',
  'InvalidSymbol',
  'InvalidNumberFormat',
  'PropertyNameExpected',
  'ValueExpected',
  'ColonExpected',
  'CommaExpected',
  'CloseBraceExpected',
  'CloseBracketExpected',
  'EndOfFileExpected',
  'InvalidCommentToken',
  'UnexpectedEndOfComment',
  'UnexpectedEndOfString',
  'UnexpectedEndOfNumber',
  'InvalidUnicode',
  'InvalidEscapeCharacter',
  'InvalidCharacter',
])

/** The catalogue key that says a transport failure code in words, or null when `code` is not one. */
export function transportCauseKey(code: string): string | null {
  const cause = transportCause(code)
  return cause ? `errors.cause.${cause}` : null
}

/** The catalogue key that says a jsonc-parser error in words, or null when `name` is not one. */
export function jsonParseKey(name: string): string | null {
  if (JSON_PARSE.has(name)) return `errors.jsonParse.${name}`
  return name === '<unknown ParseErrorCode>' ? 'errors.jsonParse.other' : null
}

/** Parameters that may carry a code rather than words. */
const CODED_PARAMS = new Set(['reason', 'detail'])

/** The catalogue key that says why a regular expression does not compile (models/regex-problems.ts), or null. */
export function regexProblemKey(code: string): string | null {
  return code !== 'other' && (REGEX_PROBLEMS as readonly string[]).includes(code) ? `dm.regexProblems.${code}` : null
}

/**
 * A reference's parameters with every code said in words; other values stay as they are. `variant` picks the
 * catalogue key a code's words are read from (translateRef's: the words that do not ask to try again, for an error
 * Fieldline retries by itself).
 */
export function paramsInWords(t: (key: string) => string, ref: MessageRef, variant: (key: string) => string = (key) => key): Record<string, string | number> {
  const params = { ...(ref.params ?? {}) }
  for (const [name, value] of Object.entries(params)) {
    if (name === 'regexProblem' && typeof value === 'string') {
      const key = regexProblemKey(value)
      if (key) params[name] = t(key)
      continue
    }
    // A Control Center SIM's status travels as its code (cold trial: « est à l’état deactivated » in a French window).
    if (name === 'status' && ref.key.startsWith('sim.') && (SIM_STATUSES as readonly unknown[]).includes(value)) {
      params[name] = t(`sim.statuses.${String(value)}`)
      continue
    }
    if (!CODED_PARAMS.has(name) || typeof value !== 'string') continue
    const key = transportCauseKey(value) ?? jsonParseKey(value)
    if (key) params[name] = t(variant(key))
  }
  return params
}
