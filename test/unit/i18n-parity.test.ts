import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { channels, ERROR_CODES, OUTBOX_ACTIONS } from '../../src-shared/contract'
import { CARRIERS, SIM_STATUSES } from '../../src-shared/models/sim'

const root = join(import.meta.dirname, '..', '..')
const rendererSrc = join(root, 'src-renderer', 'src')

type Catalogue = { [key: string]: unknown }

function load(language: string): Catalogue {
  return JSON.parse(readFileSync(join(rendererSrc, 'i18n', `${language}.json`), 'utf8')) as Catalogue
}

function flatten(catalogue: Catalogue, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(catalogue)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Catalogue, path, out)
    else out.set(path, value)
  }
  return out
}

/** Placeholder names of an ICU message ("{count, plural, …}" gives "count"); plural "#" is not one. */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{\s*(\w+)\s*[,}]/g)].map((m) => m[1] ?? ''))].sort()
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.svelte') || f.endsWith('.ts'))
    .map((f) => join(dir, f))
}

/** String literals and comments, in source order; a literal is matched first so that `'http://…'` stays one. */
const TOKENS = /'((?:\\.|[^'\\\n])*)'|"((?:\\.|[^"\\\n])*)"|`((?:\\.|[^`\\])*)`|\/\/[^\n]*|\/\*[\s\S]*?\*\//g
/** Audit and outbox action names and input paths share the catalogue's spelling (`mail.settings.add`) but are not keys. */
const NOT_A_KEY_ROLE = /\b(?:action|path)\s*[:=]\s*[^,;{}]*$/
/** A host name that shares a section's spelling (`weather.com` in the desktop shell's link allow-list) is not a key. */
const HOSTNAME = /\.(?:com|org|net)$/
/** The renderer's `wordFor(t, 'mail.modes', mode)` names a family of keys (`mail.modes.<mode>`), not a key. */
const FAMILY_ARGUMENT = /\bwordFor\(\s*[\w$.]+\s*,\s*$/

type Def = { type: string; [k: string]: unknown }
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

/** Every dotted path into an input schema ('settings.baseUrl', 'to.address'): the names the form kit gives its fields. */
function inputPaths(schema: z.ZodType, prefix: string, out: Set<string>): Set<string> {
  const def = defOf(schema)
  if (def.type === 'object') {
    for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) {
      const path = prefix ? `${prefix}.${k}` : k
      out.add(path)
      inputPaths(v, path, out)
    }
  } else if (def.type === 'union') for (const o of def.options as z.ZodType[]) inputPaths(o, prefix, out)
  else if (def.type === 'pipe') inputPaths(def.in as z.ZodType, prefix, out)
  else if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional'].includes(def.type)) inputPaths(def.innerType as z.ZodType, prefix, out)
  return out
}

/**
 * Paths of the contract's inputs. The form kit names a field by its path in the input it sends (`path="settings.port"`,
 * `{ 'settings.port': … }`), which can share a catalogue section's spelling; such a literal is a key only when the
 * catalogue has it.
 */
const FIELD_PATHS = Object.values(channels).reduce((all, c) => inputPaths(c.input as z.ZodType, '', all), new Set<string>())

interface KeyUse {
  /** Literal keys: `'mail.invitation.exists'`, whatever passes them (withRef, messageKey, a table, a call). */
  keys: string[]
  /** Template keys, by the text before the first `${`: `mbed.command.${reason}` gives `mbed.command.`. */
  families: string[]
}

/**
 * Every translation key a source names. A key is any string literal (outside comments) shaped like a catalogue key:
 * one of the catalogue's top-level sections, then one or more dotted segments. Keys reach the catalogue by many
 * roads (AppError.withRef, a schema's messageKey, a reason table, a positional argument, a renderer call), so the
 * literal's shape is what counts, not how it is passed; only the values of `action:` and `path:` are left out.
 */
function keysIn(text: string, sections: readonly string[]): KeyUse {
  const shape = new RegExp(`^(?:${sections.join('|')})(?:\\.[A-Za-z0-9_-]+)+$`)
  const familyShape = new RegExp(`^(?:${sections.join('|')})\\.(?:[A-Za-z0-9_-]+\\.)*$`)
  const keys = new Set<string>()
  const families = new Set<string>()
  for (const m of text.matchAll(TOKENS)) {
    const literal = m[1] ?? m[2] ?? m[3]
    if (literal === undefined) continue
    const before = text.slice(Math.max(0, m.index - 200), m.index)
    if (NOT_A_KEY_ROLE.test(before)) continue
    if (FAMILY_ARGUMENT.test(before)) {
      if (familyShape.test(`${literal}.`)) families.add(`${literal}.`)
      continue
    }
    if (m[3] !== undefined && literal.includes('${')) {
      const prefix = literal.slice(0, literal.indexOf('${'))
      if (familyShape.test(prefix)) families.add(prefix)
    } else if (shape.test(literal) && !/\.(json|js|ts|csv|txt|ya?ml)$/.test(literal) && !HOSTNAME.test(literal)) {
      keys.add(literal)
    }
  }
  return { keys: [...keys], families: [...families] }
}

/** The string literal members of a union type alias, e.g. the reasons of `type CommandRefusal = 'tooLarge' | …`. */
function unionMembers(file: string, typeName: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === typeName)
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error(`${typeName} is not a union type alias in ${relative(root, file)}`)
  return alias.type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : `<${t.getText(source)}>`))
}

const en = flatten(load('en'))
const fr = flatten(load('fr'))

describe('i18n catalogues', () => {
  it('English and French have exactly the same keys', () => {
    const missingInFr = [...en.keys()].filter((k) => !fr.has(k))
    const missingInEn = [...fr.keys()].filter((k) => !en.has(k))
    expect({ missingInFr, missingInEn }).toEqual({ missingInFr: [], missingInEn: [] })
  })

  it('has no empty or non-string values', () => {
    const bad = [...en, ...fr].filter(([, v]) => typeof v !== 'string' || v.trim() === '').map(([k]) => k)
    expect(bad).toEqual([])
  })

  it('uses the same placeholders in both languages', () => {
    const differing = [...en].filter(([k, v]) => JSON.stringify(placeholders(String(v))) !== JSON.stringify(placeholders(String(fr.get(k) ?? '')))).map(([k]) => k)
    expect(differing).toEqual([])
  })

  it('writes no message that formats numbers, dates or plurals the same in both languages', () => {
    // svelte-i18n caches a message's formatter by the message's text alone, with the locale of its first use: a text
    // both catalogues share would format French numbers and plural forms the English way (or the reverse), whichever
    // language showed it first. Such a message takes its numbers already formatted, or is written apart.
    const byLocale = /\{\s*\w+\s*,\s*(?:number|date|time|plural|selectordinal)\b|#/
    const english = new Set([...en.values()].map(String))
    const shared = [...fr].filter(([, v]) => english.has(String(v)) && byLocale.test(String(v))).map(([k]) => k)
    expect(shared).toEqual([])
  })

  it('translates every bridge error code', () => {
    const missing = ERROR_CODES.filter((code) => !en.has(`errors.code.${code}`))
    expect(missing).toEqual([])
  })
})

const sections = Object.keys(load('en'))

function uses(dir: string): { keys: Map<string, string>; families: Map<string, string> } {
  const keys = new Map<string, string>()
  const families = new Map<string, string>()
  for (const file of sources(dir)) {
    const found = keysIn(readFileSync(file, 'utf8'), sections)
    for (const key of found.keys) if (!OUTBOX_ACTIONS.includes(key as never)) keys.set(key, relative(root, file))
    for (const prefix of found.families) families.set(prefix, relative(root, file))
  }
  return { keys, families }
}

/**
 * Template keys whose values are known: every value must have its message. A family not listed here must at least
 * name a section of the catalogue (the renderer's guarded families show the raw value for one they do not know).
 */
const FAMILY_VALUES: Record<string, () => readonly string[]> = {
  'errors.code.': () => ERROR_CODES,
  'carriers.': () => CARRIERS,
  'sim.statuses.': () => SIM_STATUSES,
  'mbed.command.': () => unionMembers(join(root, 'src-main', 'core', 'mbed', 'commands.ts'), 'CommandRefusal'),
}

describe('translation keys the code names', () => {
  it('finds keys however they are passed, of any depth, and skips comments, actions, paths and host names', () => {
    const text = [
      "throw AppError.withRef('CONFLICT', 'exists', { key: 'mail.invitation.exists', params: { id } })",
      "z.string().refine(ok, { params: { messageKey: 'profiles.form.tooLong' } })",
      "return refuse(`Missing ${field}`, 'import.missingField', { field })",
      "key: conn.acked ? 'platform.connectionLost' : 'platform.connectFailed',",
      '{ key: `mbed.command.${check.reason}` }',
      "$_('sim.sms.encodings.gsm7')",
      "// see 'mail.fieldNames.subject' in a comment, and http://example.org/mail.x",
      "/* 'errors.notAKey' */ action: existing ? 'mail.settings.update' : 'mail.settings.add', path: 'settings.hostname',",
      "{ action: replaced\n  ? 'vault.replace'\n  : 'vault.set' }",
      "readFile('config.json'); const url = 'https://api.sendgrid.com'",
      "const hosts = ['github.com', 'mail.com', 'vault.org']",
      '<Field {form} path="settings.hostname" />',
      "export const modeText = (t, mode) => wordFor(t, 'mail.modes', mode)",
    ].join('\n')
    const found = keysIn(text, ['mail', 'profiles', 'import', 'platform', 'mbed', 'sim', 'errors', 'config', 'vault'])
    expect(found.keys.sort()).toEqual(['import.missingField', 'mail.invitation.exists', 'platform.connectFailed', 'platform.connectionLost', 'profiles.form.tooLong', 'sim.sms.encodings.gsm7'])
    expect(found.families.sort()).toEqual(['mail.modes.', 'mbed.command.'])
  })

  it.each([
    ['the core', 'src-main'],
    ['the shared models', 'src-shared'],
    ['the renderer', join('src-renderer', 'src')],
  ])('defines every key %s names, in both languages', (_name, dir) => {
    const { keys } = uses(join(root, dir))
    const missing = [...keys].filter(([key]) => !en.has(key) && !FIELD_PATHS.has(key)).map(([key, file]) => `${key} (${file})`)
    expect(missing).toEqual([])
  })

  it('finds the keys that travel in errors, schemas and tables, three-part ones included', () => {
    const core = uses(join(root, 'src-main')).keys
    expect(core.size).toBeGreaterThan(200)
    expect([...core.keys()].filter((k) => k.split('.').length > 2).length).toBeGreaterThan(30)
    for (const key of ['mail.invitation.exists', 'mail.sendgrid.unauthorized', 'platform.connectionLost', 'import.missingField']) expect(core.has(key)).toBe(true)
    const shared = uses(join(root, 'src-shared')).keys
    expect(shared.has('mail.invalidAddress')).toBe(true)
  })

  it('has a message for every value of every template key family', () => {
    const families = new Map([...uses(join(root, 'src-main')).families, ...uses(join(root, 'src-renderer', 'src')).families, ...uses(join(root, 'src-shared')).families])
    expect(families.has('mbed.command.')).toBe(true)
    const problems: string[] = []
    for (const [prefix, file] of families) {
      const values = FAMILY_VALUES[prefix]?.()
      if (values) problems.push(...values.filter((v) => !en.has(`${prefix}${v}`)).map((v) => `${prefix}${v} (${file})`))
      else if (![...en.keys()].some((k) => k.startsWith(prefix))) problems.push(`${prefix}… names no section of the catalogue (${file})`)
    }
    expect(problems).toEqual([])
  })
})
