import type { ErrorInfo } from '../../../src-shared/contract'
import { formatMebibytes } from '../../../src-shared/models/byte-format'
import { compileFullMatch } from '../../../src-shared/models/full-match'
import { MAX_PACKAGE_BYTES, type PackageDetail } from '../../../src-shared/models/packages'

/**
 * Helpers for device-management packages on this side of the bridge. The core is the authority on every rule here
 * (it validates packages and re-checks every value with a matcher that cannot backtrack); these only let the
 * operator see a problem before a round trip.
 */

export { MAX_PACKAGE_BYTES }

/** The refusal the core would give for a file of this size (its words and parameters), made here without reading the file. */
export function tooLargeError(bytes: number): ErrorInfo {
  const size = formatMebibytes(bytes, 'en', MAX_PACKAGE_BYTES)
  const max = formatMebibytes(MAX_PACKAGE_BYTES, 'en')
  return {
    code: 'TOO_LARGE',
    message: `The package is ${size}; packages larger than ${max} are refused without being read`,
    details: { ref: { key: 'dm.tooLarge', params: { size, max, sizeBytes: bytes, maxBytes: MAX_PACKAGE_BYTES } } },
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

/** The value the core will send for a parameter: what the operator typed, or the package's default when empty. */
export function effectiveValue(param: Parameter, typed: string): string | undefined {
  return typed !== '' ? typed : param.defaultValue
}

/**
 * The early word on one value: missing while required, or not matching the parameter's pattern as a whole. Null
 * when it looks fine or could not be checked; the core checks again in every case.
 */
export function parameterProblem(param: Parameter, typed: string): ParameterProblem | null {
  const value = effectiveValue(param, typed)
  if (value === undefined) return param.required ? 'required' : null
  if (param.value === undefined) return null
  // The core's own backtracking-free matcher: the same answer as main, and a package's pattern cannot hang the UI.
  const matcher = compileFullMatch(param.value)
  if (!matcher.ok) return null
  const ok = matcher.test(value, { remaining: 10_000_000 })
  return ok === false ? 'mismatch' : null
}
