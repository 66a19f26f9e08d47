import type { Profile } from '../../../../src-shared/models/profiles'

/**
 * What a save sends of write-only secrets: only what the operator typed, or null for one they chose to clear; an
 * absent field keeps the vault's value. `typed` are secrets that cannot be cleared, `clearable` pairs a typed value
 * with the "clear the saved one" choice.
 */
export function secretsInput(typed: Record<string, string>, clearable: Record<string, [value: string, cleared: boolean]> = {}): Record<string, string | null> {
  const secrets: Record<string, string | null> = {}
  for (const [field, value] of Object.entries(typed)) if (value !== '') secrets[field] = value
  for (const [field, [value, cleared]] of Object.entries(clearable)) {
    if (cleared) secrets[field] = null
    else if (value !== '') secrets[field] = value
  }
  return secrets
}

/** The secrets a saved profile already holds in the vault; none for a new one. */
export function savedSecrets(profile: Profile | null, fields: readonly string[]): ReadonlySet<string> {
  const flags = (profile?.secrets ?? {}) as Record<string, boolean | undefined>
  return new Set(fields.filter((f) => flags[f] === true))
}

/**
 * Drops the spaces and tabs around a value (a typing accident), but not a line break: in a mail header that is an
 * injection attempt, which the contract's checks must see and name.
 */
export function trimSpaces(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '')
}

/** The core's refusals of a service URL (its secure-URL check): all about the one field that holds it. */
export function urlRefusals(path: string): Record<string, string> {
  return { 'errors.invalidUrl': path, 'errors.insecureUrl': path, 'errors.urlHasCredentials': path }
}
