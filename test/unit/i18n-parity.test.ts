import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src-shared/contract'

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
    const differing = [...en]
      .filter(([k, v]) => JSON.stringify(placeholders(String(v))) !== JSON.stringify(placeholders(String(fr.get(k) ?? ''))))
      .map(([k]) => k)
    expect(differing).toEqual([])
  })

  it('defines every key used literally with $_() or $t() in the renderer', () => {
    const used = new Map<string, string>()
    for (const file of sources(rendererSrc)) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/\$[_t]\(\s*(['"`])([\w.-]+)\1/g)) used.set(m[2] ?? '', relative(root, file))
    }
    expect(used.size).toBeGreaterThan(50)
    const missing = [...used].filter(([key]) => !en.has(key)).map(([key, file]) => `${key} (${file})`)
    expect(missing).toEqual([])
  })

  it('translates every bridge error code', () => {
    const missing = ERROR_CODES.filter((code) => !en.has(`errors.code.${code}`))
    expect(missing).toEqual([])
  })

  it('translates every message key the core names in its sources', () => {
    const used = new Map<string, string>()
    for (const file of sources(join(root, 'src-main'))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/['"]((?:errors|config|import|carrier|sim|profiles|outbox|platform|mbed|dm|mail|orange|historian)\.[a-z][A-Za-z]*)['"]/g)) {
        // File names such as 'config.json' look like keys but are not.
        if (!/\.(json|js|ts|csv|txt|ya?ml)$/.test(m[1] ?? '')) used.set(m[1] ?? '', relative(root, file))
      }
    }
    const missing = [...used].filter(([key]) => !en.has(key)).map(([key, file]) => `${key} (${file})`)
    expect(missing).toEqual([])
  })
})
