/**
 * Why a value was refused, as facts rather than zod's words ("Too big: expected string to have <=1000 characters"):
 * the core's English message and the CLI word them the same way, each naming the field as its reader knows it (the
 * CLI by the argument or option the operator typed).
 */
import { z } from 'zod'
import { countText } from './count-text'

export const INPUT_PROBLEMS = [
  'tooLong',
  'tooShort',
  'empty',
  'tooMany',
  'tooFew',
  'tooLarge',
  'tooSmall',
  'notWhole',
  'notOneOf',
  'missing',
  'wrongType',
  'badFormat',
  'unknownKeys',
  /** The schema's own words (a custom check, or a pattern it describes itself): `message` is the text. */
  'own',
  /** A refusal zod words in its own terms only (a union no branch of which matched). */
  'invalid',
] as const
export type InputProblem = (typeof INPUT_PROBLEMS)[number]

export const inputIssueSchema = z.object({
  path: z.string(),
  /** The schema's or zod's text, as it was: logs and older readers. */
  message: z.string(),
  problem: z.enum(INPUT_PROBLEMS).optional(),
  /** The bound broken (a length, a count, a value). */
  limit: z.number().optional(),
  /** False when the bound itself is not allowed either ("above 0"). */
  inclusive: z.boolean().optional(),
  /** What was given against the bound: a text's length, a list's size, the number. */
  given: z.number().optional(),
  /** The values allowed (`notOneOf`), the keys not known (`unknownKeys`), or the type expected (`wrongType`, `badFormat`). */
  words: z.array(z.string()).optional(),
})
export type InputIssue = z.infer<typeof inputIssueSchema>

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined
  return v
}

const MAX_KEYS_NAMED = 10

/** Zod's default English message for an issue: a message that differs is the schema's own, kept as it is. */
const zodEnglish = z.locales.en()

function isOwnMessage(issue: z.core.$ZodIssue, value: unknown): boolean {
  const text = zodEnglish.localeError({ ...issue, input: value } as unknown as Parameters<typeof zodEnglish.localeError>[0])
  return issue.message !== (typeof text === 'string' ? text : text?.message)
}

/** Sizes of what a bound applies to: zod counts a text in UTF-16 units, as `.length` does. */
function sizeOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length
  if (typeof value === 'number') return value
  return undefined
}

/**
 * The facts of one zod issue; `parsed.input` is the whole value that was parsed, for what was given at the issue's path
 * (without it, what was given is not said).
 */
export function issueFacts(issue: z.core.$ZodIssue, path: string, parsed?: { input: unknown }): InputIssue {
  const base = { path, message: issue.message }
  const value = parsed ? valueAt(parsed.input, issue.path) : undefined
  const given = sizeOf(value)
  const withGiven = given === undefined ? {} : { given }
  switch (issue.code) {
    case 'too_big': {
      const limit = Number(issue.maximum)
      if (issue.origin === 'string') return { ...base, problem: 'tooLong', limit, ...withGiven }
      if (issue.origin === 'array' || issue.origin === 'set') return { ...base, problem: 'tooMany', limit, ...withGiven }
      if (issue.origin === 'number' || issue.origin === 'int') return { ...base, problem: 'tooLarge', limit, inclusive: issue.inclusive !== false, ...withGiven }
      break
    }
    case 'too_small': {
      const limit = Number(issue.minimum)
      if (issue.origin === 'string') return limit === 1 && given === 0 ? { ...base, problem: 'empty' } : { ...base, problem: 'tooShort', limit, ...withGiven }
      if (issue.origin === 'array' || issue.origin === 'set') return { ...base, problem: 'tooFew', limit, ...withGiven }
      if (issue.origin === 'number' || issue.origin === 'int') return { ...base, problem: 'tooSmall', limit, inclusive: issue.inclusive !== false, ...withGiven }
      break
    }
    case 'invalid_type':
      if (parsed && value === undefined) return { ...base, problem: 'missing' }
      if (issue.expected === 'int' && typeof value === 'number') return { ...base, problem: 'notWhole', given: value }
      return { ...base, problem: 'wrongType', words: [issue.expected] }
    case 'invalid_value':
      return { ...base, problem: 'notOneOf', words: issue.values.map(String) }
    case 'unrecognized_keys':
      // The keys are the sender's: a few of them, clipped, however many were sent.
      return { ...base, problem: 'unknownKeys', given: issue.keys.length, words: issue.keys.slice(0, MAX_KEYS_NAMED).map((k) => k.slice(0, 80)) }
    case 'invalid_format':
      return isOwnMessage(issue, value) ? { ...base, problem: 'own' } : { ...base, problem: 'badFormat', words: [issue.format] }
    default:
      break
  }
  return { ...base, problem: isOwnMessage(issue, value) ? 'own' : 'invalid' }
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
}

const FORMAT_WORDS: Readonly<Record<string, string>> = {
  email: 'an email address',
  url: 'a URL',
  datetime: 'a date and time in ISO 8601 with a time zone (e.g. 2026-01-31T08:00:00Z)',
  date: 'a date (YYYY-MM-DD)',
  uuid: 'a UUID',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
}

/** Schema texts that read on after the field's name ("must be 1–36 letters…"); any other is set after a colon. */
const READS_ON = /^(must|may|is|are|has|cannot|should|needs?|takes)\b/

/**
 * One refusal in plain English, `name` being the field as the reader knows it (`<typeId>`, `--description`, or the
 * field's path): "--description is too long: 3,000 characters, at most 1,000".
 */
export function describeIssue(name: string, issue: InputIssue): string {
  const { limit = 0, given, words = [] } = issue
  const got = given === undefined ? '' : `${countText(given)}, `
  switch (issue.problem) {
    case 'tooLong':
      return `${name} is too long: ${given === undefined ? '' : `${countText(given)} characters, `}at most ${countText(limit)}`
    case 'tooShort':
      return `${name} is too short: ${given === undefined ? '' : `${countText(given)} characters, `}at least ${countText(limit)}`
    case 'empty':
      return `${name} must not be empty`
    case 'tooMany':
      return `${name} has too many entries: ${got}at most ${countText(limit)}`
    case 'tooFew':
      return `${name} has too few entries: ${got}at least ${countText(limit)}`
    case 'tooLarge':
      return issue.inclusive === false ? `${name} is too large: ${got}it must be below ${countText(limit)}` : `${name} is too large: ${got}at most ${countText(limit)}`
    case 'tooSmall':
      return issue.inclusive === false ? `${name} is too small: ${got}it must be above ${countText(limit)}` : `${name} is too small: ${got}at least ${countText(limit)}`
    case 'notWhole':
      return `${name} must be a whole number${given === undefined ? '' : ` (got ${given})`}`
    case 'notOneOf':
      return `${name} must be one of ${words.join(', ')}`
    case 'missing':
      return `${name} is required`
    case 'wrongType':
      return `${name} must be ${TYPE_WORDS[words[0] ?? ''] ?? words[0] ?? 'another kind of value'}`
    case 'badFormat':
      return `${name} must be ${FORMAT_WORDS[words[0] ?? ''] ?? `in the ${words[0] ?? 'expected'} format`}`
    case 'unknownKeys':
      return `${name === '' ? 'the input' : name} has ${given === undefined || given === 1 ? 'a field' : `${countText(given)} fields`} Fieldline does not know: ${words.join(', ')}${given !== undefined && given > words.length ? ', …' : ''}`
    case 'invalid':
      // Zod's own text here would be the schema's words ("Invalid input"), not the operator's.
      return `${name} is not valid`
    default:
      // The schema's words, or an issue a module built itself without facts.
      return READS_ON.test(issue.message) ? `${name} ${issue.message}` : `${name}: ${issue.message}`
  }
}
