import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The repository explains itself: comments, tests and docs cite wire facts in docs/wire/, never notes outside the
 * repository, and every `docs/wire/<file>.md §<section>` they cite exists.
 */
const root = join(import.meta.dirname, '..', '..')
const wireDir = join(root, 'docs', 'wire')

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => join(root, dir, f))
}

const sources = [
  ...['src-main', 'src-shared', 'src-preload', 'src-renderer', 'test'].flatMap((d) => files(d, /\.(ts|svelte|mjs|cjs)$/)),
  ...files('docs', /\.md$/),
  join(root, 'README.md'),
  join(root, 'CONTRIBUTING.md'),
].filter((file) => file !== import.meta.filename)

/** Notes that live outside the repository (the research folder the first waves wrote from). */
const OUTSIDE = [
  /(?<![\w/-])specs\/(?:[\w.-]*\.md\b|(?=[\s`'")]|$))/,
  /\.\.\/shared\//,
  /\btoolchain\.md\b/,
  /\breference\/(peers|anchors)\.md\b/,
  /(?<!docs\/wire\/)\b(carriers|platform|storage|ledger-weather)\.md\b/,
]

/** Section numbers of a wire file: `## 1. …` gives 1, `### 1.5 …` gives 1.5. */
function sections(file: string): Set<string> {
  const text = readFileSync(file, 'utf8')
  return new Set([...text.matchAll(/^#{2,3} (\d+(?:\.\d+)?)[.\s]/gm)].map((m) => m[1]!))
}

/** Every `docs/wire/x.md §a[–b][, §c…]` in a text: the file and the section numbers named right after it. */
function citations(text: string): { file: string; section: string }[] {
  const found: { file: string; section: string }[] = []
  for (const m of text.matchAll(/docs\/wire\/([\w-]+\.md)((?:(?!docs\/wire\/)[^):;—\n])*)/g)) {
    const tail = m[2] ?? ''
    for (const s of tail.matchAll(/§(\d+(?:\.\d+)?)(?:[–-]§?(\d+(?:\.\d+)?))?/g)) {
      found.push({ file: m[1]!, section: s[1]! })
      if (s[2]) found.push({ file: m[1]!, section: s[2] })
    }
    if (!/§/.test(tail)) found.push({ file: m[1]!, section: '' })
  }
  return found
}

describe('references to wire facts', () => {
  it('finds citations with their sections, ranges and lists', () => {
    expect(citations('(docs/wire/control-center.md §1.3 for REST, §2.1 for SOAP faults) and docs/wire/mbed.md §1–2, docs/wire/mail.md: x §9')).toEqual([
      { file: 'control-center.md', section: '1.3' },
      { file: 'control-center.md', section: '2.1' },
      { file: 'mbed.md', section: '1' },
      { file: 'mbed.md', section: '2' },
      { file: 'mail.md', section: '' },
    ])
    expect(OUTSIDE.some((p) => p.test('see ../shared/specs/platform.md §3'))).toBe(true)
    expect(OUTSIDE.some((p) => p.test('(carriers.md §1.10)'))).toBe(true)
    expect(OUTSIDE.some((p) => p.test('the research notes in specs/ outside the repository'))).toBe(true)
    expect(OUTSIDE.some((p) => p.test('(docs/wire/control-center.md §1.10)'))).toBe(false)
    expect(OUTSIDE.some((p) => p.test('`openapi.yaml`, `specs/paths/*.yaml`'))).toBe(false)
  })

  it('cites nothing outside the repository', () => {
    const outside = sources.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (OUTSIDE.some((p) => p.test(line)) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
    )
    expect(outside).toEqual([])
  })

  it('cites only wire files and sections that exist', () => {
    const known = new Map(readdirSync(wireDir).map((f) => [f, sections(join(wireDir, f))]))
    const broken: string[] = []
    let count = 0
    for (const file of sources) {
      for (const c of citations(readFileSync(file, 'utf8'))) {
        count++
        const headings = known.get(c.file)
        if (!headings) broken.push(`${relative(root, file)}: docs/wire/${c.file} does not exist`)
        else if (c.section && !headings.has(c.section)) broken.push(`${relative(root, file)}: docs/wire/${c.file} has no §${c.section}`)
      }
    }
    expect(count).toBeGreaterThan(50)
    expect(broken).toEqual([])
  })

  it('links every wire file from its index, and every relative link in the docs to a file that exists', () => {
    const index = readFileSync(join(wireDir, 'README.md'), 'utf8')
    expect(readdirSync(wireDir).filter((f) => f !== 'README.md' && !index.includes(`](${f})`))).toEqual([])
    const dead = files('docs', /\.md$/).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1]!)
        .filter((target) => !existsSync(join(dirname(file), target)))
        .map((target) => `${relative(root, file)} → ${target}`),
    )
    expect(dead).toEqual([])
  })
})
