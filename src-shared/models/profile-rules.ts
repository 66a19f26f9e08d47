/**
 * What a profile cannot work without: the secrets each kind needs, the ones that only make sense together, and the
 * form of an mbed access key. Pure functions over what a save sends and what the vault already holds, so the
 * renderer's forms and the core's profiles service apply one rule.
 */
import type { MessageRef } from './errors'
import type { ProfileExtension } from './profiles'

/** Each refusal these rules make, by its translatable key (the core keeps an English text for each). */
export type SecretProblemKey = 'profiles.apiKeyRequired' | 'profiles.soapPair' | 'profiles.orangePasswordRequired' | 'profiles.accessKeyRequired' | 'mbed.invalidAccessKey'
export type SecretProblem = MessageRef & { key: SecretProblemKey }

/** A secret in a save: a value sets or replaces it, null clears it, absent keeps the saved one. */
type SecretsInput = Readonly<Record<string, string | null | undefined>>

/** Whether each secret will be set once the save is done. */
function willBeSet(field: string, secrets: SecretsInput, saved: ReadonlySet<string>): boolean {
  const value = secrets[field]
  if (value === null) return false
  return typeof value === 'string' || saved.has(field)
}

/**
 * The problems of a save's secrets, by the field they are about ('soap' for the Control Center pair): Control Center
 * authenticates REST with the API key, SOAP with the password and licence key together; Orange with the access key's
 * password; mbed with an access key. `saved` names the secrets the profile already has in the vault (none for a new
 * profile).
 */
export function secretProblems(extension: ProfileExtension, secrets: SecretsInput, saved: ReadonlySet<string>): Record<string, SecretProblem> {
  const problems: Record<string, SecretProblem> = {}
  if (extension === 'jasper' || extension === 'atnt') {
    if (!willBeSet('apiKey', secrets, saved)) problems.apiKey = { key: 'profiles.apiKeyRequired' }
    if (willBeSet('password', secrets, saved) !== willBeSet('licenseKey', secrets, saved)) problems.soap = { key: 'profiles.soapPair' }
  } else if (extension === 'orange') {
    if (!willBeSet('password', secrets, saved)) problems.password = { key: 'profiles.orangePasswordRequired' }
  } else if (extension === 'mbed') {
    const key = secrets.accessKey
    if (!willBeSet('accessKey', secrets, saved)) problems.accessKey = { key: 'profiles.accessKeyRequired' }
    else if (typeof key === 'string') {
      const problem = accessKeyProblem(key)
      if (problem) problems.accessKey = problem
    }
  }
  return problems
}

/** An mbed access key goes into an Authorization header: no white space or control characters. */
export function accessKeyProblem(key: string): SecretProblem | null {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  return key.trim() === '' || /[\s\u0000-\u001f]/.test(key) ? { key: 'mbed.invalidAccessKey' } : null
}

/**
 * A profile's name as the operator reads it on the cards and pickers, where case and surrounding spaces tell nothing
 * apart: two profiles of one kind whose keys are equal would read alike, so the core refuses the second.
 */
export function profileNameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase()
}

/**
 * The profiles that share a name within their kind (profileNameKey), in groups of two or more. A save refuses a
 * namesake, but team sync cannot: the same name given on two computers makes two profiles with their own ids, which
 * replicate as two documents, not as a conflict (cold trial: « Jasper Nord » made on two computers was two profiles
 * after the sync, both marked default, and nothing said so).
 */
export function profileNamesakes<P extends { id: string; extension: string; name: string }>(profiles: readonly P[]): P[][] {
  const groups = new Map<string, P[]>()
  for (const p of profiles) {
    const key = `${p.extension}\u0000${profileNameKey(p.name)}`
    groups.set(key, [...(groups.get(key) ?? []), p])
  }
  return [...groups.values()].filter((g) => g.length > 1)
}
