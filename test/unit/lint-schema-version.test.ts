import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/** Writers take a document's version from CURRENT_SCHEMA: prove the lint rule refuses a literal in the core. */
describe('lint rule: schemaVersion comes from CURRENT_SCHEMA', () => {
  const eslint = new ESLint({ cwd: process.cwd() })
  const lint = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath })
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message)
  }

  it('refuses a numeric schemaVersion in the core', async () => {
    expect(await lint('src-main/core/store/devices.store.ts', "export const doc = { _id: 'device:t:d', kind: 'device', schemaVersion: 1 }\n")).toEqual([
      'Write schemaVersion from CURRENT_SCHEMA in src-main/core/store/schema.ts, not as a number.',
    ])
  })

  it("allows CURRENT_SCHEMA and keeps the core's electron ban", async () => {
    const current = "import { CURRENT_SCHEMA } from './schema'\nexport const doc = { kind: 'device', schemaVersion: CURRENT_SCHEMA.device }\n"
    expect(await lint('src-main/core/store/devices.store.ts', current)).toEqual([])
    expect(await lint('src-main/core/app.ts', "export const x = import('electron')\n")).toEqual(["Only src-main/electron and src-preload may import('electron')."])
  })
})
