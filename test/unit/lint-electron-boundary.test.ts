import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/** The lint rule is what keeps the core testable under Node: prove it bites where it should. */
describe("lint rule: 'electron' only in src-main/electron and src-preload", () => {
  const eslint = new ESLint({ cwd: process.cwd() })
  const lint = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath })
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
  }

  it.each([
    ['src-main/core/app.ts', "import { app } from 'electron'\nexport const x = app\n"],
    ['src-main/serve/server.ts', "import { ipcMain } from 'electron/main'\nexport const x = ipcMain\n"],
    ['src-main/cli/main.ts', "export const x = require('electron')\n"],
    ['src-renderer/src/lib/api.ts', "export const x = import('electron')\n"],
    ['test/unit/some.test.ts', "import 'electron'\n"],
  ])('refuses it in %s', async (file, code) => {
    expect(await lint(file, code)).not.toHaveLength(0)
  })

  it.each([
    ['src-main/electron/main.ts', "import { app } from 'electron'\nexport const x = app\n"],
    ['src-preload/index.ts', "import { contextBridge } from 'electron'\nexport const x = contextBridge\n"],
  ])('allows it in %s', async (file, code) => {
    expect(await lint(file, code)).toHaveLength(0)
  })
})
