/**
 * An early answers' journal (src-main/core/mbed/early-answers.ts) or a command journal (command-journal.ts) in a fresh
 * temporary directory, removed after the test file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { CommandJournal } from '../../src-main/core/mbed/command-journal'
import { EarlyAnswers } from '../../src-main/core/mbed/early-answers'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function freshDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

export function earlyJournal(capacity = 10_000): EarlyAnswers {
  return new EarlyAnswers({ dir: freshDir('fieldline-early-'), capacity })
}

/** A command journal, already open (an intake takes commands only into an open one). */
export function commandJournal(capacity = 10_000): CommandJournal {
  const journal = new CommandJournal({ dir: freshDir('fieldline-commands-'), capacity })
  journal.open()
  return journal
}
