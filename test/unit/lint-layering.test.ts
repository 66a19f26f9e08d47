import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The layering rules of .dependency-cruiser.cjs (run by `npm run lint`) are what keep the rooms apart: prove each
 * one bites on a small tree of its own, laid out like the project, and that the project itself is clean.
 */
const require = createRequire(import.meta.url)
const config = require('../../.dependency-cruiser.cjs') as { forbidden: unknown[] }

let root = ''
const cwd = process.cwd()

async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(join(root, 'tree-'))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
  process.chdir(dir)
  try {
    const result = await cruise(
      ['src-main', 'src-shared', 'src-preload', 'src-renderer'].filter((d) => Object.keys(files).some((f) => f.startsWith(`${d}/`))),
      {
        ruleSet: { forbidden: config.forbidden } as never,
        validate: true,
        doNotFollow: { path: 'node_modules' },
      },
    )
    const output = result.output as ICruiseResult
    return output.summary.violations.map((v) => v.rule.name)
  } finally {
    process.chdir(cwd)
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldline-layering-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('layering rules', () => {
  it.each([
    ['a cycle between two modules', { 'src-main/core/json/a.js': "import './b.js'\n", 'src-main/core/json/b.js': "import './a.js'\n" }, 'no-cycles'],
    ['the store importing a domain room', { 'src-main/core/store/x.js': "import '../mbed/y.js'\n", 'src-main/core/mbed/y.js': '' }, 'store-knows-no-domain'],
    ['a lower tier importing a higher one', { 'src-main/core/profiles/p.js': "import '../mbed/m.js'\n", 'src-main/core/mbed/m.js': '' }, 'core-tier-profiles'],
    ['two rooms of one tier', { 'src-main/core/devices/d.js': "import '../mail/m.js'\n", 'src-main/core/mail/m.js': '' }, 'core-tier-devices'],
    ['a core folder without a tier', { 'src-main/core/newroom/n.js': "import '../common/c.js'\n", 'src-main/core/common/c.js': '' }, 'core-rooms-are-listed'],
    ['the core importing a shell', { 'src-main/core/mail/m.js': "import '../../serve/s.js'\n", 'src-main/serve/s.js': '' }, 'core-knows-no-shell'],
    ['src-shared importing the core', { 'src-shared/models/x.js': "import '../../src-main/core/common/e.js'\n", 'src-main/core/common/e.js': '' }, 'shared-is-a-leaf'],
    ['the renderer importing the core', { 'src-renderer/src/lib/x.js': "import '../../../src-main/core/common/e.js'\n", 'src-main/core/common/e.js': '' }, 'renderer-talks-through-the-contract'],
    ['one shell importing another', { 'src-main/serve/s.js': "import '../electron/e.js'\n", 'src-main/electron/e.js': '' }, 'shells-do-not-know-each-other'],
    ['product code importing a test peer', { 'src-main/core/mail/m.js': "import '../../../test/peers/p.js'\n", 'test/peers/p.js': '' }, 'no-test-code-in-the-product'],
  ])('refuses %s', async (_what, files, rule) => {
    expect(await violations(files)).toContain(rule)
  })

  it('allows a higher room to import a lower one, and the CLI to start serve mode', async () => {
    expect(
      await violations({
        'src-main/core/mbed/m.js': "import '../platform/p.js'\nimport '../common/c.js'\n",
        'src-main/core/platform/p.js': "import '../common/c.js'\n",
        'src-main/core/common/c.js': '',
        'src-main/cli/main.js': "import '../serve/s.js'\nimport '../core/mbed/m.js'\n",
        'src-main/serve/s.js': '',
      }),
    ).toEqual([])
  })
})
