import type { z } from 'zod'
import { AppError } from './errors'
import { describeIssue, issueFacts } from '../../../src-shared/models/input-issues'

/**
 * Schemas can name the translated message of a custom issue in `params.messageKey`; `params.urgent` marks one that
 * must be reported whatever else is wrong (a line break in a mail header is an injection attempt, not a typo).
 */
interface KeyedParams {
  messageKey?: unknown
  /** Values the translated message needs besides the field (a limit, the offending key). */
  messageParams?: unknown
  urgent?: unknown
}

type MessageParams = Record<string, string | number>

function isMessageParams(value: unknown): value is MessageParams {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number')
}

function keyOf(issue: z.core.$ZodIssue): { key: string; urgent: boolean; params: MessageParams } | undefined {
  if (issue.code !== 'custom') return undefined
  const params = issue.params as KeyedParams | undefined
  if (typeof params?.messageKey !== 'string') return undefined
  return { key: params.messageKey, urgent: params.urgent === true, params: isMessageParams(params.messageParams) ? params.messageParams : {} }
}

/**
 * A refusal stays small whatever was sent: 10,000 unknown keys must not come back as a 200 KB message (zod names
 * every one of them), nor a 4 MB key as a 4 MB path.
 */
const MAX_ISSUES = 20
const MAX_ISSUE_TEXT = 300

function clip(text: string): string {
  return text.length > MAX_ISSUE_TEXT ? `${text.slice(0, MAX_ISSUE_TEXT)}…` : text
}

/**
 * Parses untrusted input, or throws VALIDATION with every offending path (the first MAX_ISSUES of them). The
 * translated reference is the urgent issue's, else the only issue's own key, else the generic "invalid input".
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((i) => {
    const path = clip(i.path.map(String).join('.'))
    return { facts: { ...issueFacts(i, path, { input }), message: clip(i.message) }, keyed: keyOf(i) }
  })
  const plain = issues.slice(0, MAX_ISSUES).map(({ facts }) => facts)
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : ''
  // The same words the CLI prints, with the field's path for its name: a log reads no zod "Too big: expected…".
  const text = `Invalid ${what}: ${plain.map((i) => describeIssue(i.path || '(input)', i)).join('; ')}${more}`
  const chosen = issues.find((i) => i.keyed?.urgent) ?? (issues.length === 1 && issues[0]?.keyed ? issues[0] : undefined)
  const ref = chosen?.keyed ? { key: chosen.keyed.key, params: { field: chosen.facts.path, ...chosen.keyed.params } } : { key: 'errors.invalidInput' }
  throw AppError.withRef('VALIDATION', text, ref, { issues: plain })
}
