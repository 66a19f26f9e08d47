/**
 * mbed pre-subscription rules (docs/wire/mbed.md §1.4): `PUT /v2/subscriptions` with an array of
 * `{"endpoint-name"?: "node-001" | "node*", "endpoint-type"?: "Light", "resource-path"?: ["/dev", "/sen/*"]}`.
 * The profile and FIELDLINE_MBED_PRESUBSCRIPTIONS hold them in exactly this wire form, so an operator can copy rules
 * from mbed's own documentation.
 *
 * Limits (§1.4): endpoint name and type ≤ 64 characters, a path ≤ 128, at most 256 distinct paths over all rules, at
 * most 1024 rules. Where the spec is silent the rules here are strict rather than guessed at [I]: '*' is accepted only
 * as the last character of a name or a path (the documented examples are "node*" and "/sen/*"), a path starts with
 * '/', and a rule names at least one of the three (an empty rule would quietly subscribe everything).
 *
 * Matching: a rule matches a resource when every field it names matches — the endpoint name exactly or by the prefix
 * before '*', the endpoint type exactly, one of the paths exactly or by the prefix before '*' (no paths: every
 * resource). [I] The "every named field" reading is the one that makes a rule with a type and paths mean "these paths
 * of that type", which is how the documentation's examples read.
 */
import { z } from 'zod'

export const PRESUBSCRIPTION_LIMITS = { name: 64, type: 64, path: 128, distinctPaths: 256, entries: 1024 } as const

/** Why a name, type or path is not acceptable, or null. */
export function presubscriptionValueProblem(kind: 'name' | 'type' | 'path', value: string): string | null {
  const max = PRESUBSCRIPTION_LIMITS[kind]
  if (value.length === 0) return 'must not be empty'
  if (value.length > max) return `must be at most ${max} characters`
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'must not contain spaces or control characters'
  if (kind === 'type') return value.includes('*') ? "must not contain '*' (a type is matched exactly)" : null
  if (value.indexOf('*') !== -1 && value.indexOf('*') !== value.length - 1) return "may contain '*' only as its last character"
  if (kind === 'path' && !value.startsWith('/')) return "must start with '/'"
  return null
}

const KEYS = { name: 'mbed.presubNameInvalid', type: 'mbed.presubTypeInvalid', path: 'mbed.presubPathInvalid' } as const

/** What the parser reads at most before the documented limits are checked (a bound for hostile input, not a rule). */
const HARD_CAP = 4096

const ruleValue = (kind: 'name' | 'type' | 'path') =>
  z
    .string()
    .max(HARD_CAP)
    .superRefine((value, ctx) => {
      const problem = presubscriptionValueProblem(kind, value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { messageKey: KEYS[kind] } })
    })

export const mbedPresubscriptionSchema = z
  .object({
    'endpoint-name': ruleValue('name').optional(),
    'endpoint-type': ruleValue('type').optional(),
    'resource-path': z.array(ruleValue('path')).max(PRESUBSCRIPTION_LIMITS.distinctPaths).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule['endpoint-name'] === undefined && rule['endpoint-type'] === undefined && (rule['resource-path'] ?? []).length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs an endpoint-name, an endpoint-type or resource-path entries', params: { messageKey: 'mbed.presubEmptyRule' } })
    }
  })
export type MbedPresubscription = z.infer<typeof mbedPresubscriptionSchema>

export const mbedPresubscriptionsSchema = z
  .array(mbedPresubscriptionSchema)
  .max(HARD_CAP)
  .superRefine((rules, ctx) => {
    if (rules.length > PRESUBSCRIPTION_LIMITS.entries) {
      ctx.addIssue({ code: 'custom', message: `at most ${PRESUBSCRIPTION_LIMITS.entries} rules (got ${rules.length})`, params: { messageKey: 'mbed.presubTooMany' } })
    }
    const distinct = new Set(rules.flatMap((r) => r['resource-path'] ?? []))
    if (distinct.size > PRESUBSCRIPTION_LIMITS.distinctPaths) {
      ctx.addIssue({
        code: 'custom',
        message: `at most ${PRESUBSCRIPTION_LIMITS.distinctPaths} distinct resource paths over all rules (got ${distinct.size})`,
        params: { messageKey: 'mbed.presubTooManyPaths' },
      })
    }
  })

function wildcard(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern
}

/** Whether one rule covers a resource of an endpoint (see the header for the reading). */
export function ruleMatches(rule: MbedPresubscription, ep: { name: string; type: string | undefined }, path: string): boolean {
  const name = rule['endpoint-name']
  if (name !== undefined && !wildcard(name, ep.name)) return false
  const type = rule['endpoint-type']
  if (type !== undefined && type !== ep.type) return false
  const paths = rule['resource-path']
  return paths === undefined || paths.length === 0 || paths.some((p) => wildcard(p, path))
}

export function rulesMatch(rules: readonly MbedPresubscription[], ep: { name: string; type: string | undefined }, path: string): boolean {
  return rules.some((r) => ruleMatches(r, ep, path))
}
