/**
 * The platform's checks of a package body, written from docs/wire/dm-packages.md §4 "Package JSON": the shared JSON
 * Schema (resources/schemas/dm-package.schema.json, the one source of the field rules) and the rules a schema cannot
 * say. Read strictly [I: the platform's own checks are not documented]: the tolerated forms IBM's samples used
 * (`"required": "true"`, a number as `value` or `defaultValue`) and fields §4 does not list are refused, where
 * Fieldline's validator accepts them with a warning — Fieldline uploads its normalised package, never those forms.
 *
 * Read from disk rather than imported: the peer also runs in the Playwright process, whose loader takes no JSON import.
 */
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'

const schema = JSON.parse(readFileSync(new URL('../../../resources/schemas/dm-package.schema.json', import.meta.url), 'utf8')) as object
const matchesSchema = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema)

const ROOT_FIELDS = new Set(['bundleId', 'version', 'provider', 'displayName', 'description', 'actions'])
const ACTION_FIELDS = new Set(['actionDisplayName', 'description', 'parameters'])
const PARAMETER_FIELDS = new Set(['name', 'value', 'required', 'defaultValue'])

type Json = Record<string, unknown>

function unknownField(obj: Json, known: Set<string>, where: string): string | null {
  const extra = Object.keys(obj).find((k) => !known.has(k))
  return extra === undefined ? null : `${where}: unknown field "${extra}"`
}

/** Why the body is not a package the platform keeps, or null when it is one. */
export function packageProblem(body: unknown): string | null {
  if (!matchesSchema(body)) {
    const e = matchesSchema.errors?.[0]
    return `${e?.instancePath || '/'} ${e?.message ?? 'does not match the package schema'}`
  }
  const pkg = body as Json
  const root = unknownField(pkg, ROOT_FIELDS, '/')
  if (root) return root
  for (const [actionId, action] of Object.entries(pkg.actions as Record<string, Json>)) {
    const where = `/actions/${actionId}`
    const extra = unknownField(action, ACTION_FIELDS, where)
    if (extra) return extra
    const names = new Set<string>()
    for (const [i, p] of ((action.parameters ?? []) as Json[]).entries()) {
      const at = `${where}/parameters/${i}`
      const field = unknownField(p, PARAMETER_FIELDS, at)
      if (field) return field
      if (names.has(String(p.name))) return `${at}/name: "${String(p.name)}" is already a parameter of this action`
      names.add(String(p.name))
      if (p.required !== undefined && typeof p.required !== 'boolean') return `${at}/required: must be a boolean`
      if (p.value !== undefined && typeof p.value !== 'string') return `${at}/value: must be a string`
      if (p.defaultValue !== undefined && typeof p.defaultValue !== 'string') return `${at}/defaultValue: must be a string`
      if (typeof p.value === 'string') {
        let pattern: RegExp
        try {
          pattern = new RegExp(`^(?:${p.value})$`)
        } catch {
          return `${at}/value: not a regular expression`
        }
        // Test data only: the peer runs the package's own pattern, which Fieldline's core never does with V8.
        if (typeof p.defaultValue === 'string' && !pattern.test(p.defaultValue)) return `${at}/defaultValue: does not match value`
      }
    }
  }
  return null
}
