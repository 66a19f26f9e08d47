import type { BridgeError } from '../../../src-preload/contract'
import type { PackageDetail } from '../../../src-preload/models/packages'

/**
 * Helpers for device-management packages on this side of the bridge. The core is the authority on every rule here
 * (it validates packages and re-checks every value with a matcher that cannot backtrack); these only let the
 * operator see a problem before a round trip.
 */

/**
 * The core refuses packages over 5 MB without reading them (core/dm-packages/validator.ts, MAX_PACKAGE_BYTES). The
 * contract exports only the larger bridge limit, so the figure is repeated here to refuse a big file before it is
 * read into memory and sent.
 */
export const MAX_PACKAGE_BYTES = 5 * 1024 * 1024

const MIB = 1024 * 1024

/** The validator's way of writing a size ("5 MB", "6.3 MB"), so the early refusal reads exactly like the core's. */
function megabytes(bytes: number): string {
  if (bytes % MIB === 0) return `${bytes / MIB} MB`
  const rounded = (bytes / MIB).toFixed(1)
  return Number(rounded) * MIB === MAX_PACKAGE_BYTES ? `${bytes} bytes` : `${rounded} MB`
}

/** The refusal the core would give for a file of this size, made here without reading the file. */
export function tooLargeError(bytes: number): BridgeError {
  const size = megabytes(bytes)
  const max = megabytes(MAX_PACKAGE_BYTES)
  return {
    code: 'TOO_LARGE',
    message: `The package is ${size}; packages larger than ${max} are refused without being read`,
    details: { ref: { key: 'dm.tooLarge', params: { size, max } } },
  }
}

/**
 * The entry of a package's locale map (`{"en_US": "…"}`) for the interface language: the same language first, then
 * English, then whatever the package offers. Null when the map is empty.
 */
export function localeText(map: Record<string, string> | null | undefined, language: string | null | undefined): string | null {
  const entries = Object.entries(map ?? {})
  const lang = (language ?? 'en').toLowerCase().split(/[-_]/)[0]
  const of = (wanted: string) => entries.find(([key]) => key.toLowerCase().split(/[-_]/)[0] === wanted)?.[1]
  return of(lang ?? 'en') ?? of('en') ?? entries[0]?.[1] ?? null
}

export type Parameter = PackageDetail['actions'][number]['parameters'][number]
/** What the core answers per parameter when it refuses to send an action (details.issues[].message). */
export type ParameterProblem = 'required' | 'mismatch' | 'unknown' | 'unchecked'

export function isParameterProblem(value: string): value is ParameterProblem {
  return value === 'required' || value === 'mismatch' || value === 'unknown' || value === 'unchecked'
}

/** Longer values are left to the core: this check is a convenience, and backtracking time grows with the value. */
const MAX_CHECKED_LENGTH = 256
/**
 * A quantified group — `(.*)+`, `(a|ab)*` — is what lets a backtracking engine take exponential time on a short
 * value, and the browser cannot stop a running RegExp. Such patterns are left to the core's matcher, which cannot
 * backtrack. (IBM's own `((http:\/\/|https:\/\/)(.*)+)` is one; `\w+` is checked here.)
 */
const QUANTIFIED_GROUP = /\)\s*[*+?{]/

/** The value the core will send for a parameter: what the operator typed, or the package's default when empty. */
export function effectiveValue(param: Parameter, typed: string): string | undefined {
  return typed !== '' ? typed : param.defaultValue
}

/**
 * The early word on one value: missing while required, or not matching the parameter's pattern as a whole. Null
 * when it looks fine or could not be checked here; the core decides in every case.
 */
export function parameterProblem(param: Parameter, typed: string): ParameterProblem | null {
  const value = effectiveValue(param, typed)
  if (value === undefined) return param.required ? 'required' : null
  if (param.value === undefined || value.length > MAX_CHECKED_LENGTH || QUANTIFIED_GROUP.test(param.value)) return null
  let whole: RegExp
  try {
    // The pattern alone must compile first: wrapped, an unbalanced one could compile into something else.
    new RegExp(param.value)
    whole = new RegExp('^(?:' + param.value + ')$')
  } catch {
    return null
  }
  return whole.test(value) ? null : 'mismatch'
}
