/** An early answers' journal (src-main/core/mbed/early-answers.ts) in a fresh temporary directory, removed after the test file. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { EarlyAnswers } from '../../src-main/core/mbed/early-answers'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

export function earlyJournal(capacity = 10_000): EarlyAnswers {
  const dir = mkdtempSync(join(tmpdir(), 'fieldline-early-'))
  dirs.push(dir)
  return new EarlyAnswers({ dir, capacity })
}
