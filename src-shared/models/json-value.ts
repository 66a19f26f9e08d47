/**
 * Free-form JSON an operator or a file hands us (device metadata, an import row), checked before anything copies
 * or stores it. Three things go wrong silently otherwise: a value nested thousands of levels deep overflows every
 * recursive copy down the line (an internal error instead of a refusal), Infinity and NaN become null when stored,
 * and a member named `__proto__` vanishes when an object is rebuilt by assignment (or, worse, changes its
 * prototype). Each is refused here by name, with its JSON pointer.
 */
import { z } from 'zod'

/** Keys that mean something to JavaScript objects; data never needs them and copying them is how pollution starts. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

export interface JsonLimits {
  /** Nesting levels of objects and arrays; the value itself is level 1 when it is an object or array. */
  maxDepth: number
  /** Size of the value written as compact JSON, in UTF-8 bytes. */
  maxBytes: number
}

/** Device metadata: labels and a few nested settings, never a document. */
export const METADATA_LIMITS: JsonLimits = { maxDepth: 16, maxBytes: 64 * 1024 }

export type JsonProblem =
  | { kind: 'tooDeep'; pointer: string; max: number }
  | { kind: 'tooLarge'; max: number }
  | { kind: 'notFinite'; pointer: string }
  | { kind: 'forbiddenKey'; pointer: string; key: string }
  | { kind: 'notJson'; pointer: string; what: string }
  | { kind: 'notObject' }

function utf8Length(text: string, budget: number): number {
  let bytes = 0
  for (let i = 0; i < text.length && bytes <= budget; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

interface Frame {
  value: unknown
  depth: number
  parent: Frame | null
  key: string
}

function pointerOf(frame: Frame): string {
  const parts: string[] = []
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) parts.push(f.key.replace(/~/g, '~0').replace(/\//g, '~1'))
  return parts.length === 0 ? '' : `/${parts.reverse().join('/')}`
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'object' && value !== null) return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object'
  return typeof value
}

/**
 * The first problem of `value` as JSON within `limits`, or null. Iterative (its own stack), and it stops as soon as
 * the size budget is spent, so a hostile value costs at most the budget's worth of work; a cycle is caught by the
 * depth limit, a shared sub-value counted each time it appears, as JSON would write it.
 */
export function inspectJson(value: unknown, limits: JsonLimits): JsonProblem | null {
  let bytes = 0
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: '' }]
  while (stack.length > 0) {
    const frame = stack.pop()!
    const v = frame.value
    if (v === null || typeof v === 'boolean') bytes += 5
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { kind: 'notFinite', pointer: pointerOf(frame) }
      bytes += String(v).length
    } else if (typeof v === 'string') bytes += utf8Length(v, limits.maxBytes) + 2
    else if (typeof v === 'object' && (Array.isArray(v) || isPlainObject(v))) {
      const depth = frame.depth + 1
      if (depth > limits.maxDepth) return { kind: 'tooDeep', pointer: pointerOf(frame), max: limits.maxDepth }
      bytes += 2
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: String(i) })
        bytes += v.length
      } else {
        // Reflect.ownKeys sees what Object.keys hides: symbol keys and non-enumerable members are not JSON either.
        for (const key of Reflect.ownKeys(v)) {
          if (typeof key === 'symbol') return { kind: 'notJson', pointer: pointerOf(frame), what: 'symbol key' }
          if (FORBIDDEN_KEYS.has(key)) return { kind: 'forbiddenKey', pointer: pointerOf({ value: undefined, depth, parent: frame, key }), key }
          const descriptor = Object.getOwnPropertyDescriptor(v, key)
          if (!descriptor || !descriptor.enumerable || !('value' in descriptor)) return { kind: 'notJson', pointer: pointerOf({ value: undefined, depth, parent: frame, key }), what: 'accessor' }
          stack.push({ value: descriptor.value, depth, parent: frame, key })
          bytes += utf8Length(key, limits.maxBytes) + 4
          if (bytes > limits.maxBytes) return { kind: 'tooLarge', max: limits.maxBytes }
        }
      }
    } else return { kind: 'notJson', pointer: pointerOf(frame), what: kindOf(v) }
    if (bytes > limits.maxBytes) return { kind: 'tooLarge', max: limits.maxBytes }
  }
  return null
}

/** English text and catalogue key of a problem; `what` names the input ("metadata", "line 12"). */
export function describeJsonProblem(problem: JsonProblem, what: string): { message: string; key: string; params: Record<string, string | number> } {
  const at = (pointer: string) => (pointer === '' ? '' : ` at ${pointer}`)
  switch (problem.kind) {
    case 'tooDeep':
      return { message: `${what} is nested more than ${problem.max} levels deep${at(problem.pointer)}`, key: 'errors.jsonTooDeep', params: { field: what, max: problem.max, pointer: problem.pointer } }
    case 'tooLarge':
      return { message: `${what} is larger than ${problem.max} bytes of JSON`, key: 'errors.jsonTooLarge', params: { field: what, max: problem.max } }
    case 'notFinite':
      return {
        message: `${what} holds a number that is not finite (Infinity or NaN)${at(problem.pointer)}; JSON cannot keep it`,
        key: 'errors.jsonNotFinite',
        params: { field: what, pointer: problem.pointer },
      }
    case 'forbiddenKey':
      return {
        message: `${what} uses the key "${problem.key}"${at(problem.pointer)}, which is not allowed`,
        key: 'errors.jsonForbiddenKey',
        params: { field: what, key: problem.key, pointer: problem.pointer },
      }
    case 'notJson':
      return {
        message: `${what} holds a value JSON cannot carry (${problem.what})${at(problem.pointer)}`,
        key: 'errors.jsonNotJson',
        params: { field: what, kind: problem.what, pointer: problem.pointer },
      }
    case 'notObject':
      return { message: `${what} must be a JSON object`, key: 'errors.jsonNotObject', params: { field: what } }
  }
}

/**
 * A JSON object within `limits`, as an input schema. The value is checked as it arrived, before anything rebuilds
 * it (zod's own record parse would drop a `__proto__` member without a word), and is passed on as it is.
 */
export function jsonObjectSchema(limits: JsonLimits, what: string) {
  return z.custom<Record<string, unknown>>().superRefine((value, ctx) => {
    const problem: JsonProblem | null = typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value) ? { kind: 'notObject' } : inspectJson(value, limits)
    if (!problem) return
    const { message, key, params } = describeJsonProblem(problem, what)
    ctx.addIssue({ code: 'custom', message, params: { messageKey: key, messageParams: params } })
  })
}

/**
 * A record (string keys, `valueSchema` values) of at most `maxEntries` entries whose keys are never one of the
 * FORBIDDEN_KEYS. The keys are checked on the value as it arrived: zod builds a record by assignment and leaves a
 * `__proto__` member out without a word.
 */
export function safeRecordSchema<K extends z.ZodType<string>, V extends z.ZodType>(keySchema: K, valueSchema: V, maxEntries: number) {
  return z
    .custom<unknown>()
    .superRefine((value, ctx) => {
      if (typeof value !== 'object' || value === null) return
      const keys = Reflect.ownKeys(value)
      const forbidden = keys.find((k) => typeof k === 'string' && FORBIDDEN_KEYS.has(k))
      if (forbidden !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `uses the key "${String(forbidden)}", which is not allowed`,
          params: { messageKey: 'errors.jsonForbiddenKey', messageParams: { key: String(forbidden), pointer: `/${String(forbidden)}` }, urgent: true },
        })
      } else if (keys.length > maxEntries) {
        ctx.addIssue({ code: 'custom', message: `must have at most ${maxEntries} entries`, params: { messageKey: 'errors.jsonTooManyEntries', messageParams: { max: maxEntries } } })
      }
    })
    .pipe(z.record(keySchema, valueSchema))
}
