import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * docs/architecture.md draws the rooms and arrows that `npm run lint` enforces: its rule table and its tier table must
 * be the rules and tiers of .dependency-cruiser.cjs, and every folder of the core must be in the tiers.
 */
const root = join(import.meta.dirname, '..', '..')
const require = createRequire(import.meta.url)
const config = require('../../.dependency-cruiser.cjs') as {
  forbidden: { name: string; from: { path?: string }; to: { path?: string } }[]
}
const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8')

/** The tiers as the linter has them: a room's tier is how many rooms it may import. */
function linterTiers(): Map<string, number> {
  const rooms = new Map<string, number>()
  for (const rule of config.forbidden) {
    const room = /^core-tier-(.+)$/.exec(rule.name)?.[1]
    if (!room) continue
    const notBelow = /^\^src-main\/core\/\(([^)]+)\)\/$/.exec(rule.to.path ?? '')?.[1]?.split('|') ?? []
    rooms.set(room, notBelow.length)
  }
  // Fewer rooms at or above a room's tier means a higher tier; number the distinct counts from the bottom.
  const counts = [...new Set(rooms.values())].sort((a, b) => b - a)
  return new Map([...rooms].map(([room, n]) => [room, counts.indexOf(n)]))
}

/** The tier table of the document: `| 2 | \`store\`, \`vault\`, \`http\` | … |`. */
function documentedTiers(): Map<string, number> {
  const section = doc.slice(doc.indexOf('### The core'), doc.indexOf('## Glossary'))
  const tiers = new Map<string, number>()
  for (const m of section.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)) {
    for (const room of m[2]!.matchAll(/`([\w-]+)`/g)) tiers.set(room[1]!, Number(m[1]))
  }
  return tiers
}

describe('docs/architecture.md', () => {
  it('names every rule of .dependency-cruiser.cjs, and no rule it does not have', () => {
    const ruleNames = new Set(config.forbidden.map((r) => r.name.replace(/^core-tier-.+$/, 'core-tier-<room>')))
    const table = doc.slice(doc.indexOf('| Rule |'), doc.indexOf('### The core'))
    const documented = new Set([...table.matchAll(/^\| `([\w<>-]+)` \|/gm)].map((m) => m[1]!))
    expect(documented).toEqual(ruleNames)
  })

  it('gives every core room the tier the linter gives it', () => {
    const linter = linterTiers()
    expect(linter.size).toBeGreaterThan(10)
    expect(documentedTiers()).toEqual(linter)
  })

  it('tiers every folder of the core', () => {
    const folders = readdirSync(join(root, 'src-main', 'core'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
    expect([...documentedTiers().keys()].sort()).toEqual(folders)
  })
})
