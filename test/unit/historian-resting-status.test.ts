/**
 * What the app shows of a forwarder that is not running, read from the status files forwarders leave in their folders:
 * the latest one, its destinations stopped with what they keep queued; a failed one stays failed. A status file that is
 * garbage, cut short or of another shape reads as none, and never throws.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { HistorianStatus } from '../../src-shared/models/historian'
import { readStatusFile, restingStatus } from '../../src-main/core/historian/status-file'
import { printStatuses, readStatuses } from '../../src-main/cli/commands/historian'
import { tempDir } from '../helpers/core'
import { destinationStatus, historianStatus } from '../helpers/historian-status'

const destination = destinationStatus({
  state: 'backingOff',
  nextTryAt: '2026-12-06T01:00:05.000Z',
  eventsPerSecond: 12.5,
  delivered: 40,
  queued: 7,
  oldestQueuedAt: '2026-12-06T00:59:00.000Z',
  oldestQueuedAgeSeconds: 60,
  dropped: 2,
})

const status = (over: Partial<HistorianStatus>): HistorianStatus => historianStatus({ received: 47, destinations: [destination], ...over })

describe('the resting status of a forwarder', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()))
  })

  async function dataDirWith(files: Record<string, string>): Promise<string> {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    for (const [id, body] of Object.entries(files)) {
      await mkdir(join(t.dir, 'historian', id), { recursive: true })
      await writeFile(join(t.dir, 'historian', id, 'status.json'), body)
    }
    return t.dir
  }

  it('takes the latest status file: a forwarder killed while it ran is shown stopped, with what its queues held', async () => {
    const dir = await dataDirWith({
      old: JSON.stringify({ pid: 1, updatedAt: '2026-12-05T10:00:00.000Z', status: status({ profileId: 'old', state: 'stopped', destinations: [] }) }),
      plant: JSON.stringify({ pid: 2, updatedAt: '2026-12-06T01:00:00.000Z', status: status({}) }),
    })
    expect(restingStatus(dir)).toEqual(
      status({ state: 'stopped', mqtt: { state: 'off', filter: null, reason: null }, destinations: [{ ...destination, state: 'stopped', eventsPerSecond: 0, nextTryAt: null }] }),
    )
  })

  it('says when the last run ended without stopping: a file still saying it runs, of a process that is gone', async () => {
    const gone = 99_999_999
    const dir = await dataDirWith({
      plant: JSON.stringify({ pid: gone, updatedAt: '2026-12-06T01:00:00.000Z', status: status({}) }),
      clean: JSON.stringify({ pid: gone, updatedAt: '2026-12-05T01:00:00.000Z', status: status({ profileId: 'clean', state: 'stopped' }) }),
    })
    expect(restingStatus(dir)).toMatchObject({ state: 'stopped', profileId: 'plant', endedAbruptlyAt: '2026-12-06T01:00:00.000Z' })
    // Stopped as it should be, or still running in another process (the CLI's `historian run`): nothing ended abruptly.
    const other = await dataDirWith({
      clean: JSON.stringify({ pid: gone, updatedAt: '2026-12-06T01:00:00.000Z', status: status({ state: 'stopped' }) }),
      live: JSON.stringify({ pid: process.ppid, updatedAt: '2026-12-05T01:00:00.000Z', status: status({}) }),
    })
    expect(restingStatus(other)).not.toHaveProperty('endedAbruptlyAt')
    const live = await dataDirWith({ live: JSON.stringify({ pid: process.ppid, updatedAt: '2026-12-06T01:00:00.000Z', status: status({}) }) })
    expect(restingStatus(live)).not.toHaveProperty('endedAbruptlyAt')
  })

  it('keeps a failed forwarder failed, with its reason', async () => {
    const reason = { code: 'VALIDATION' as const, message: 'no broker' }
    const dir = await dataDirWith({ plant: JSON.stringify({ pid: 2, updatedAt: '2026-12-06T01:00:00.000Z', status: status({ state: 'failed', reason }) }) })
    expect(restingStatus(dir)).toMatchObject({ state: 'failed', reason })
  })

  it('reads garbage, a cut file, another shape or no folder at all as no status, without throwing', async () => {
    const whole = JSON.stringify({ pid: 2, updatedAt: '2026-12-06T01:00:00.000Z', status: status({}) })
    const dir = await dataDirWith({
      garbage: '\u0000\u00ff not json',
      cut: whole.slice(0, whole.length / 2),
      shape: JSON.stringify({ pid: 'x', status: { state: 'running', destinations: 'all' } }),
      empty: '',
    })
    for (const id of ['garbage', 'cut', 'shape', 'empty', 'missing']) expect(readStatusFile(dir, id)).toBeNull()
    expect(restingStatus(dir)).toBeNull()
    expect(restingStatus(join(dir, 'nowhere'))).toBeNull()
  })

  it('fieldline historian status says so too, for a forwarder killed while it ran (cold trial: only "not running")', async () => {
    const gone = 99_999_999
    const dir = await dataDirWith({
      plant: JSON.stringify({ pid: gone, updatedAt: '2026-12-06T01:00:00.000Z', status: status({ profileId: 'plant' }) }),
      clean: JSON.stringify({ pid: gone, updatedAt: '2026-12-05T01:00:00.000Z', status: status({ profileId: 'clean', state: 'stopped' }) }),
    })
    const entries = readStatuses(dir)
    expect(Object.fromEntries(entries.map((e) => [e.id, e.endedAbruptlyAt]))).toEqual({ plant: '2026-12-06T01:00:00.000Z', clean: null })
    const lines: string[] = []
    printStatuses(entries, false, (t) => lines.push(t))
    expect(lines).toContain('plant: not running; the last run ended without stopping at 2026-12-06T01:00:00.000Z (killed or crashed); start it again to forward what waits on disk and at the broker')
    expect(lines).toContain('clean: not running')
  })
})
