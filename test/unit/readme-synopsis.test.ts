/**
 * The README's command synopses read the way a shell user reads them: inside brackets or parentheses, each alternative
 * after " | " is an option to type. The cold trial read `sim [--profile ID | env]` as if `env` were a word to type,
 * where the CLI meant "or the FIELDLINE_CC_* variables"; such an alternative is said in a comment or in prose instead.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { registerOrange } from '../../src-main/cli/commands/orange'
import { registerSim } from '../../src-main/cli/commands/sim'
import type { WithRuntime } from '../../src-main/cli/runtime'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** Every synopsis (`fieldline …` and its indented continuation lines), without its trailing comment. */
function synopses(): string[] {
  const out: string[] = []
  for (const line of README.split('\n')) {
    if (line.startsWith('fieldline ')) out.push(line)
    else if (/^\s+[[|(]/.test(line) && out.length > 0) out[out.length - 1] += ` ${line.trim()}`
  }
  return out.map((s) => s.replace(/\s+#.*$/, ''))
}

/** The text of each bracketed or parenthesised group, with its top-level alternatives split on " | ". */
function groupAlternatives(synopsis: string): string[][] {
  const groups: string[][] = []
  const open: { start: number; cuts: number[] }[] = []
  for (let i = 0; i < synopsis.length; i++) {
    const c = synopsis[i]
    if (c === '[' || c === '(') open.push({ start: i + 1, cuts: [] })
    else if ((c === ']' || c === ')') && open.length > 0) {
      const group = open.pop()!
      const bounds = [group.start - 3, ...group.cuts, i]
      groups.push(bounds.slice(1).map((end, k) => synopsis.slice(bounds[k]! + 3, end).trim()))
    } else if (synopsis.startsWith(' | ', i) && open.length > 0) open[open.length - 1]!.cuts.push(i)
  }
  return groups
}

describe('the README’s synopses', () => {
  it('offers as an alternative in a group only options to type', () => {
    const all = synopses()
    expect(all.length).toBeGreaterThan(50)
    const words = all.flatMap((s) =>
      groupAlternatives(s)
        .filter((alternatives) => alternatives.length > 1)
        .flatMap((alternatives) => alternatives.filter((a) => !a.startsWith('--')).map((a) => `${a} in: ${s}`)),
    )
    expect(words).toEqual([])
  })

  it('gives the sim and orange commands the options their help lists', () => {
    const root = new Command('fieldline').exitOverride()
    const never: WithRuntime = () => () => Promise.reject(new Error('not run in this test'))
    registerSim(root, never)
    registerOrange(root, never)
    for (const name of ['sim', 'orange']) {
      const group = root.commands.find((c) => c.name() === name)!
      const line = synopses().find((s) => s.startsWith(`fieldline [--json] ${name} [`))!
      const before = line.slice(0, line.search(/ show /))
      expect([...new Set(before.match(/--[a-z][a-z-]*/g))].filter((o) => o !== '--json').sort(), name).toEqual(group.options.map((o) => o.long!).sort())
    }
  })
})
