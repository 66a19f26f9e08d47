import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { CHANNEL_NAMES } from '../../src-shared/contract'
import { inputSchemaOf } from '../../src-main/core/ipc/dispatcher'

type Def = { type: string; [k: string]: unknown }
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def
/** The `.max(n)` of a string or array schema, or the byte limit of `byteLimitedString`, read from its checks. */
function maxLengthOf(s: z.ZodType): number | undefined {
  const checks = (defOf(s).checks ?? []) as { _zod: { def: { check: string; maximum?: number; params?: { maxBytes?: number } } } }[]
  return checks.find((c) => c._zod.def.check === 'max_length')?._zod.def.maximum ?? checks.find((c) => c._zod.def.check === 'custom')?._zod.def.params?.maxBytes
}

/**
 * Every place in an input schema where unbounded or unknown data could get in: an object that accepts keys it does
 * not name, a string or array without a maximum length, a record without bounded keys. Returns "path: problem".
 */
function looseSpots(schema: z.ZodType, path: string, out: string[]): string[] {
  const def = defOf(schema)
  switch (def.type) {
    case 'object': {
      const catchall = def.catchall as z.ZodType | undefined
      if (!catchall || defOf(catchall).type !== 'never') out.push(`${path}: object is not .strict()`)
      for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) looseSpots(v, `${path}.${k}`, out)
      break
    }
    case 'string':
      if (maxLengthOf(schema) === undefined) out.push(`${path}: string has no maximum length`)
      break
    case 'array':
      if (maxLengthOf(schema) === undefined) out.push(`${path}: array has no maximum length`)
      looseSpots(def.element as z.ZodType, `${path}[]`, out)
      break
    case 'record':
      looseSpots(def.keyType as z.ZodType, `${path}{key}`, out)
      looseSpots(def.valueType as z.ZodType, `${path}{value}`, out)
      break
    case 'union':
      for (const [i, o] of (def.options as z.ZodType[]).entries()) looseSpots(o, `${path}|${i}`, out)
      break
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
      looseSpots(def.innerType as z.ZodType, path, out)
      break
    case 'pipe':
      looseSpots(def.in as z.ZodType, path, out)
      looseSpots(def.out as z.ZodType, path, out)
      break
    case 'custom':
    case 'enum':
    case 'literal':
    case 'number':
    case 'boolean':
    case 'never':
    case 'transform':
      break
    default:
      out.push(`${path}: ${def.type} is not understood by this test; teach it`)
  }
  return out
}

describe('the contract', () => {
  it('accepts no unknown key and no unbounded string, array or record in any channel input, as the dispatcher parses it', () => {
    const loose = CHANNEL_NAMES.flatMap((name) => looseSpots(inputSchemaOf(name), name, []))
    expect(loose).toEqual([])
  })
})
