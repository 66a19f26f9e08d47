import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LogFile } from '../../src-main/core/log/log-file'
import { createLogger, heldLogTrouble } from '../../src-main/core/log/logger'
import { clip, rateLimitedWarning } from '../../src-main/core/log/rate-limited'
import { tempDir } from '../helpers/core'

let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await cleanup?.()
  cleanup = undefined
  vi.useRealTimers()
})

async function dir(): Promise<string> {
  const t = await tempDir()
  cleanup = t.cleanup
  return t.dir
}

describe('the log file', () => {
  it('rotates by size, keeping a bounded number of older files', async () => {
    const d = await dir()
    const path = join(d, 'fieldline.log')
    const file = new LogFile(path, { maxBytes: 1000, keep: 2 })
    const line = `${'x'.repeat(99)}\n`
    for (let i = 0; i < 100; i++) file.write(line)
    file.close()
    expect((await readdir(d)).sort()).toEqual(['fieldline.log', 'fieldline.log.1', 'fieldline.log.2'])
    for (const name of await readdir(d)) expect((await stat(join(d, name))).size).toBeLessThanOrEqual(1000)
    expect((await readFile(path, 'utf8')).endsWith(line)).toBe(true)
  })

  it('is private to the operator, and tightens a file an earlier version left readable', async () => {
    const d = await dir()
    const old = join(d, 'old.log')
    await writeFile(old, 'earlier\n', { mode: 0o644 })
    new LogFile(old).close()
    expect((await stat(old)).mode & 0o777).toBe(0o600)
    const logger = createLogger(join(d, 'data'))
    logger.info('hello')
    expect((await stat(join(d, 'data', 'logs'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(d, 'data', 'logs', 'fieldline.log'))).mode & 0o777).toBe(0o600)
  })

  it.skipIf(!existsSync('/dev/full'))('never throws on a full disk (/dev/full), says so once, and counts what it lost', () => {
    const trouble: string[] = []
    let now = 0
    const file = new LogFile('/dev/full', { onTrouble: (m) => trouble.push(m), now: () => now })
    for (let i = 0; i < 1000; i++) {
      expect(file.write('{"msg":"x"}\n')).toBe(true)
      now += 10
    }
    expect(trouble).toEqual([expect.stringContaining('cannot write the log file /dev/full (ENOSPC)')])
    file.close()
  })

  it('writes again, with the count of lost lines, once it can', async () => {
    const d = await dir()
    const logs = join(d, 'logs')
    const trouble: string[] = []
    let now = 0
    // The folder is missing at first (as on a data folder that cannot be written); it appears later.
    const file = new LogFile(join(logs, 'fieldline.log'), { onTrouble: (m) => trouble.push(m), now: () => now })
    for (let i = 0; i < 5; i++) file.write('{"msg":"lost"}\n')
    await mkdir(logs)
    now += 1000
    file.write('{"msg":"kept"}\n')
    file.close()
    const lines = (await readFile(join(logs, 'fieldline.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; dropped?: number })
    expect(lines).toEqual([expect.objectContaining({ dropped: 5, reason: 'ENOENT', msg: 'the log file is writable again (5 lines were lost while it could not be written)' }), { msg: 'kept' }])
    expect(trouble).toEqual([expect.stringContaining('(ENOENT)'), expect.stringContaining('can be written again (5 lines were lost)')])
  })

  // The core drops the log's trouble when the workspace opens read-only (the read-only line says it); the folder made
  // writable later must still be said, once, on stderr and in the log itself.
  it('says once, on stderr and in the log, that a data folder held read-only at start is writable again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const data = await dir()
    // logs/ cannot be made: a file is in its place, as a folder that cannot be written would refuse it.
    await writeFile(join(data, 'logs'), '')
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const trouble = heldLogTrouble()
      const logger = createLogger(data, 'info', trouble.onTrouble)
      logger.info('lost while held')
      trouble.release(false)
      logger.info('lost after the release')
      expect(stderr).not.toHaveBeenCalled()
      await rm(join(data, 'logs'))
      await mkdir(join(data, 'logs'))
      vi.setSystemTime(Date.now() + 1000)
      for (let i = 0; i < 3; i++) logger.info(`kept ${i}`)
      expect(stderr.mock.calls.map(([text]) => String(text))).toEqual([expect.stringMatching(/^fieldline: the log file .* can be written again \(2 lines were lost\)\n$/)])
      const lines = (await readFile(join(data, 'logs', 'fieldline.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string })
      expect(lines.map((l) => l.msg)).toEqual(['the log file is writable again (2 lines were lost while it could not be written)', 'kept 0', 'kept 1', 'kept 2'])
    } finally {
      stderr.mockRestore()
    }
  })

  it('is created for a data folder it cannot write, without throwing', async () => {
    const d = await dir()
    const blocker = join(d, 'not-a-folder')
    await writeFile(blocker, '')
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const logger = createLogger(blocker)
      logger.error('still fine')
      expect(stderr).toHaveBeenCalledOnce()
    } finally {
      stderr.mockRestore()
    }
  })
})

describe('rate-limited warnings', () => {
  it('writes the first at once, then one line a second with the count, and starts over after a quiet second', () => {
    vi.useFakeTimers()
    const lines: { fields: Record<string, unknown>; message: string }[] = []
    const logger = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: (fields: Record<string, unknown>, message: string) => void lines.push({ fields, message }) }
    const warn = rateLimitedWarning(logger as never, 'refused')
    for (let i = 0; i < 5000; i++) warn({ n: i })
    expect(lines).toEqual([{ fields: { n: 0 }, message: 'refused' }])
    vi.advanceTimersByTime(1000)
    expect(lines[1]).toEqual({ fields: { n: 4999, repeated: 4999, withinMs: 1000 }, message: 'refused (4999 more)' })
    for (let i = 0; i < 3; i++) warn({ n: i })
    vi.advanceTimersByTime(1000)
    expect(lines[2]!.fields).toMatchObject({ repeated: 3 })
    vi.advanceTimersByTime(10_000)
    expect(lines).toHaveLength(3)
    warn({ n: 'again' })
    expect(lines[3]).toEqual({ fields: { n: 'again' }, message: 'refused' })
    warn({ n: 'pending' })
    warn.flush()
    expect(lines[4]!.fields).toMatchObject({ n: 'pending', repeated: 1 })
  })

  it('cuts long values to their start and their length', () => {
    expect(clip('a'.repeat(8000))).toBe(`${'a'.repeat(120)}… (8000 characters)`)
    expect(clip('short')).toBe('short')
    expect(clip(undefined)).toBeNull()
  })
})
