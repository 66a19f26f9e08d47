import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { argumentNames, flatten, type Catalogue } from '../../src-renderer/src/i18n'

const root = new URL('../../src-renderer/src/', import.meta.url).pathname
const en = flatten(JSON.parse(readFileSync(join(root, 'i18n/en.json'), 'utf8')) as Catalogue)

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.(svelte|ts)$/.test(entry.name) ? [path] : []
  })
}

/** The text of the balanced `{ … }` that starts at `open`, without its braces (strings and templates skipped whole). */
function braced(text: string, open: number): string | null {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1)
      if (end < 0) return null
      i = end
    } else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return text.slice(open + 1, i)
  }
  return null
}

/** The names an object literal's text gives at its top level (`a: …`, shorthand `a`, `'a': …`); null when it spreads another object. */
function topLevelNames(body: string): string[] | null {
  const names: string[] = []
  let spread = false
  let depth = 0
  let part = ''
  const flush = () => {
    if (/^\s*\.\.\./.test(part)) spread = true
    const match = /^\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z_$][\w$]*))\s*(?::|$)/.exec(part)
    if (match) names.push(match[1] ?? match[2] ?? match[3]!)
    part = ''
  }
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === "'" || c === '"' || c === '`') {
      const end = body.indexOf(c, i + 1)
      part += body.slice(i, end + 1)
      i = end
      continue
    }
    if ('([{'.includes(c)) depth++
    if (')]}'.includes(c)) depth--
    if (c === ',' && depth === 0) flush()
    else part += c
  }
  flush()
  return spread ? null : names
}

describe('messages and the values the interface gives them', () => {
  it('gives every message each argument it names, wherever a call names its key and its values in place', () => {
    const missing: string[] = []
    let calls = 0
    for (const file of sources(root)) {
      const text = readFileSync(file, 'utf8')
      for (const call of text.matchAll(/(?:\$_|\bt)\(\s*'([\w.]+)'\s*,\s*\{\s*values\s*:\s*\{/g)) {
        const message = en.get(call[1]!)
        const body = braced(text, call.index + call[0].length - 1)
        const names = body === null ? null : topLevelNames(body)
        if (message === undefined || names === null) continue
        calls++
        const given = new Set(names)
        const absent = [...argumentNames(message)].filter((name) => !given.has(name))
        if (absent.length > 0) missing.push(`${file.slice(root.length)}: ${call[1]} lacks ${absent.join(', ')}`)
      }
    }
    expect(calls).toBeGreaterThan(300)
    expect(missing).toEqual([])
  })
})
