/**
 * A JSON Lines line that is not a device object is refused in Fieldline's words, which the app translates: V8's own
 * message ("Unexpected token 'o', \"not json\" is not valid JSON") reached a French operator in English, and a line
 * holding an array was said to be "not an object" in English inside the French sentence. (Their French:
 * test/renderer/import-refusal-text.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { createParser } from '../../src-main/core/devices/import-parsers'

async function refusals(lines: string[]) {
  const parser = createParser('jsonl')
  const { rows } = await parser.write(`${lines.join('\n')}\n`, [])
  return rows.map((r) => ('error' in r ? r.error : null))
}

describe('JSON Lines refusals', () => {
  it('say what is wrong with each line, and where when V8 says where it stopped', async () => {
    const errors = await refusals(['not json', '{"typeId":"t","deviceId":"a"', '  {"typeId" "t"}', '{"a":"b\u0001"}', '[1,2]', '"text"', '{"typeId":"t","deviceId":"ok"}'])
    expect(errors.map((e) => e?.ref ?? null)).toEqual([
      { key: 'import.badJson' },
      { key: 'import.jsonCutShort' },
      // Counted on the line as written, its two leading blanks included.
      { key: 'import.badJsonAt', params: { at: 13 } },
      { key: 'import.badJsonAt', params: { at: 8 } },
      { key: 'import.notJsonObject' },
      { key: 'import.notJsonObject' },
      null,
    ])
    expect(errors[2]?.message).toBe('This line is not valid JSON (from character 13)')
    for (const e of errors) expect(e?.message ?? '').not.toMatch(/Unexpected|Expected|position|Bad control/)
  })
})
