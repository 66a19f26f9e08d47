import { z } from 'zod'
import type { MessageRef } from '../../../../src-shared/contract'
import { formatBound } from '../format'

/**
 * The one way a form turns the contract's verdict into words. A form checks the very input it is about to send with
 * the channel's own zod schema, so what the operator is told is what the core would refuse; each issue becomes a
 * translatable reference next to the field at its path ('settings.baseUrl').
 */

/** Problems by field path; one per field, the first found (a line break in a mail header wins over anything). */
export type FieldErrors = Readonly<Record<string, MessageRef>>

/** What a rule the schema cannot say (a URL's transport, a secret that must already be set) found, by path. */
export type ExtraChecks = Readonly<Record<string, MessageRef | null | undefined>>

export interface FormRules<I> {
  /** The channel's input schema (or the branch of it this form sends). */
  schema: z.ZodType
  /** Rules from src-shared that the schema does not hold, run on fields the schema passed. */
  checks?: (input: I) => ExtraChecks
  /** Words for a field whose generic wording would be vague ("Invalid value" for a device type). */
  words?: Readonly<Record<string, (value: unknown) => MessageRef>>
}

type Issue = z.core.$ZodIssue

interface KeyedParams {
  messageKey?: unknown
  urgent?: unknown
  problem?: unknown
  max?: unknown
}

export function pathOf(issue: { path: readonly PropertyKey[] }): string {
  return issue.path.map(String).join('.')
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/** The schema that checks the value at `path`, through objects, optional/default wrappers, pipes and unions. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | null {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] }
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return def.innerType ? schemaAt(def.innerType, path) : null
    case 'pipe':
      return def.in ? schemaAt(def.in, path) : null
    case 'union':
      for (const option of def.options ?? []) {
        const found = schemaAt(option, path)
        if (found) return found
      }
      return null
    case 'object': {
      if (path.length === 0) return schema
      const next = def.shape?.[String(path[0])]
      return next ? schemaAt(next, path.slice(1)) : null
    }
    default:
      return path.length === 0 ? schema : null
  }
}

const RANGE_KEYS: ReadonlySet<string> = new Set(['form.wholeRange', 'form.numberRange'])

/** A number's allowed range, as its schema states it; null for anything but a bounded number. */
function numberRange(schema: z.ZodType | null): MessageRef | null {
  if (!(schema instanceof z.ZodNumber) || schema.minValue === null || schema.maxValue === null) return null
  const bounds = { min: schema.minValue, max: schema.maxValue }
  return schema.isInt ? { key: 'form.wholeRange', params: bounds } : { key: 'form.numberRange', params: bounds }
}

/**
 * A range's bounds as the hints beside the fields write them ("latitude −90 to 90"): in the window's language and with
 * a true minus sign, which ICU's `{min, number}` does not write. The range messages take them as text.
 */
export function boundsInLanguage(key: string, params: Record<string, string | number>, language: string | null | undefined): Record<string, string | number> {
  if (!RANGE_KEYS.has(key)) return params
  const shown = { ...params }
  for (const name of ['min', 'max']) {
    const value = shown[name]
    if (typeof value === 'number') shown[name] = formatBound(value, language)
  }
  return shown
}

function isBlank(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && value.trim() === '')
}

function keyedRef(params: KeyedParams, path: string): MessageRef | null {
  if (typeof params.messageKey !== 'string') return null
  // The core names the field by its path in the same place (core/common/validation.ts), so both read alike.
  return { key: params.messageKey, params: { field: path } }
}

/** One zod issue as the words to show next to its field. */
export function issueRef(issue: Issue, schema: z.ZodType, input: unknown, words?: FormRules<unknown>['words']): MessageRef {
  const path = pathOf(issue)
  const params: KeyedParams = issue.code === 'custom' ? ((issue.params ?? {}) as KeyedParams) : {}
  // A line break in a mail header is an injection attempt, named as such whatever else is wrong with the value.
  if (params.urgent === true) return keyedRef(params, path) ?? { key: 'form.invalid' }
  const value = valueAt(input, issue.path)
  const range = numberRange(schemaAt(schema, issue.path))
  if (isBlank(value) && range === null) return { key: 'form.required' }
  const worded = words?.[path]
  if (worded) return worded(value)
  if (range) return range
  if (params.problem === 'tooLong' && typeof params.max === 'number') return { key: 'form.tooLong', params: { max: params.max } }
  switch (issue.code) {
    case 'custom':
      return keyedRef(params, path) ?? { key: 'form.invalid' }
    case 'too_big':
      return issue.origin === 'string' ? { key: 'form.tooLong', params: { max: Number(issue.maximum) } } : { key: 'form.invalid' }
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) <= 1 ? { key: 'form.required' } : { key: 'form.invalid' }
    default:
      return { key: 'form.invalid' }
  }
}

/** Every problem of `input` by field path: the schema's first, then the extra checks on the fields it passed. */
export function formErrors<I>(rules: FormRules<I>, input: I): FieldErrors {
  const errors: Record<string, MessageRef> = {}
  const parsed = rules.schema.safeParse(input)
  if (!parsed.success) {
    const issues = [...parsed.error.issues].sort((a, b) => Number(isUrgent(b)) - Number(isUrgent(a)))
    for (const issue of issues) {
      const path = pathOf(issue)
      if (!(path in errors)) errors[path] = issueRef(issue, rules.schema, input, rules.words)
    }
  }
  for (const [path, ref] of Object.entries(rules.checks?.(input) ?? {})) {
    if (ref && !(path in errors)) errors[path] = ref
  }
  return errors
}

function isUrgent(issue: Issue): boolean {
  return issue.code === 'custom' && (issue.params as KeyedParams | undefined)?.urgent === true
}
