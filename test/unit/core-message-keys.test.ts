import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Every message key the core hands to the UI must exist in both catalogues, or the operator sees a raw key. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

function flatten(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]))
}

describe('message keys used by the core', () => {
  const used = new Set<string>()
  for (const file of sources('src-main')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bkey: '([a-z]+\.[A-Za-z.]+)'/g)) used.add(m[1]!)
  }

  it('finds the keys (the scan itself works)', () => {
    expect(used.size).toBeGreaterThan(10)
    expect(used).toContain('errors.deviceExists')
  })

  it.each(['en', 'fr'])('are all in the %s catalogue', (lang) => {
    const catalogue = new Set(flatten(JSON.parse(readFileSync(`src-renderer/src/i18n/${lang}.json`, 'utf8')) as Record<string, unknown>))
    expect([...used].filter((k) => !catalogue.has(k))).toEqual([])
  })
})
