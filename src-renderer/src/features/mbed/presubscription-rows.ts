import type { MessageRef } from '../../../../src-shared/contract'
import { PRESUBSCRIPTION_LIMITS, type MbedPresubscription } from '../../../../src-shared/models/mbed-presubscriptions'

/**
 * One pre-subscription rule as the profile form edits it: three text fields, the resource paths written on one line.
 * A path never holds white space (the contract refuses it), and an LwM2M path is digits and '/', so spaces and commas
 * separate paths without taking anything an operator could mean from a path.
 */
export interface RuleRow {
  /** Stable across edits, for the row's fields and the focus after a removal. */
  id: number
  name: string
  type: string
  paths: string
}

export function splitPaths(text: string): string[] {
  return text.split(/[\s,]+/).filter((p) => p !== '')
}

/** The rule in mbed's wire form (docs/wire/mbed.md §1.4): a field left empty is not sent. */
export function ruleFromRow(row: RuleRow): MbedPresubscription {
  const name = row.name.trim()
  const type = row.type.trim()
  const paths = splitPaths(row.paths)
  return { ...(name !== '' ? { 'endpoint-name': name } : {}), ...(type !== '' ? { 'endpoint-type': type } : {}), ...(paths.length > 0 ? { 'resource-path': paths } : {}) }
}

export function rowFromRule(rule: MbedPresubscription, id: number): RuleRow {
  return { id, name: rule['endpoint-name'] ?? '', type: rule['endpoint-type'] ?? '', paths: (rule['resource-path'] ?? []).join(' ') }
}

/**
 * The first problem the form found in one row's paths: the contract names each path by its index
 * (`settings.presubscriptions.0.resource-path.2`), the form shows it at the row's one paths field.
 */
export function firstPathProblem<E>(errors: Readonly<Record<string, E>>, rowPath: string): E | undefined {
  const prefix = `${rowPath}.resource-path`
  const key = Object.keys(errors).find((k) => k === prefix || k.startsWith(`${prefix}.`))
  return key === undefined ? undefined : errors[key]
}

/**
 * Words for a rule with more paths than mbed takes: the contract refuses it by the path list's own length limit, an
 * issue without words of its own, at `<rules>.<n>.resource-path` (nothing else can be wrong with that list as the form
 * builds it). The limit is the one over all the rules, so its message says it.
 */
export function presubscriptionWords(rulesPath: string): Record<string, () => MessageRef> {
  const tooMany = (): MessageRef => ({ key: 'mbed.presubTooManyPaths' })
  return Object.fromEntries(Array.from({ length: PRESUBSCRIPTION_LIMITS.entries }, (_, i) => [`${rulesPath}.${i}.resource-path`, tooMany]))
}
