/**
 * `fieldline bridge mbed queues` (core/mbed/queues.ts): the mbed queues of a data directory, whose each is, whether
 * still configured, messages waiting, size, oldest message, early async responses and commands for devices; and
 * `queues remove`, which deletes a stranded one with its early async responses and commands, saying how many (audited), and refuses the current environment's, one a running bridge holds, and a removal nobody confirmed. The
 * queues are written as a bridge writes them (its publish queue on disk); the real command tree runs as a process.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EarlyAnswers, earlyAnswersDir } from '../../src-main/core/mbed/early-answers'
import { CommandJournal, commandJournalDir } from '../../src-main/core/mbed/command-journal'
import { createPublishQueue, type PublishQueueOptions } from '../../src-main/core/mbed/publish-queue'
import { configQueueDir, profileQueueDir } from '../../src-main/core/mbed/queue-dir'
import { recordEnvironmentOrigin } from '../../src-main/core/mbed/queues'
import { listAudit } from '../../src-main/core/store/audit.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { DiskQueue } from '../../src-main/core/store/disk-queue'
import { tempDir } from '../helpers/core'
import { runCli } from '../helpers/cli-process'

const OLD = { mbed: { apiUrl: 'https://api.connector.mbed.com' }, mqtt: { url: 'mqtt://old-broker.example:1883', clientId: 'a:org1:bridge' } }
const ENV = { FIELDLINE_MBED_URL: '', FIELDLINE_MQTT_URL: 'mqtt://new-broker.example:1883', FIELDLINE_MQTT_CLIENT_ID: 'a:org1:bridge', FIELDLINE_MBED_ACCESS_KEY: '' }
const CURRENT = { mbed: { apiUrl: 'https://api.connector.mbed.com' }, mqtt: { url: ENV.FIELDLINE_MQTT_URL, clientId: ENV.FIELDLINE_MQTT_CLIENT_ID } }

/** A queue as a bridge leaves it with the broker away: `count` messages waiting. */
function leave(dir: string, count: number): void {
  const link = { state: 'reconnecting', publish: () => Promise.resolve() } as unknown as PublishQueueOptions['link']
  const queue = createPublishQueue({ link, dir, queueSize: 100, maxInflight: 1, counters: { published: 0, dropped: 0, refused: 0 }, warn: () => undefined })
  queue.open()
  for (let i = 0; i < count; i++) queue.enqueue(`iot-2/type/mbed/id/ep-${i}/evt/notify/fmt/json`, `{"n":${i}}`, 'notify')
  queue.close()
}

/** Async responses that came before their command's 202, left in the queue's early journal by a killed bridge. */
function leaveEarly(dir: string, ids: string[]): void {
  const early = new EarlyAnswers({ dir: earlyAnswersDir(dir), capacity: 10 })
  early.open()
  for (const id of ids) early.hold({ id, status: 200, payload: 'MjE=' }, Date.now())
  early.close()
}

/** Commands taken from the broker (acknowledged) and not yet sent to mbed, left in the queue's journal by a killed bridge; their times. */
function leaveCommands(dir: string, count: number): number[] {
  const journal = new CommandJournal({ dir: commandJournalDir(dir), capacity: 10 })
  journal.open()
  const ats = Array.from({ length: count }, (_, i) => journal.take(`iot-2/type/mbed/id/ep-${i}/cmd/put/fmt/json`, Buffer.from(`{"n":${i}}`)).at)
  journal.close()
  return ats
}

/** Every file's bytes under `dir`, the early journal's included. */
function filesBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, f) => sum + (f.isDirectory() ? filesBytes(join(dir, f.name)) : statSync(join(dir, f.name)).size), 0)
}

describe('bridge mbed queues', () => {
  let dataDir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir: dataDir, cleanup } = await tempDir('fieldline-mbed-queues-'))
  })
  afterEach(async () => {
    await cleanup()
  })

  it('lists each queue with whose it is, whether configured, what it holds; removes a stranded one, audited', { timeout: 120_000 }, async () => {
    const before = Date.now()
    const old = configQueueDir(dataDir, OLD)
    leave(old, 3)
    leaveEarly(old, ['1#ep-1@domain/3/0/1', '2#ep-2@domain/3/0/1'])
    const commandsAt = leaveCommands(old, 2)
    recordEnvironmentOrigin(old, OLD)
    const current = configQueueDir(dataDir, CURRENT)
    leave(current, 1)
    const gone = profileQueueDir(dataDir, 'gone')
    leave(gone, 2)

    const listed = await runCli(dataDir, ['bridge', 'mbed', 'queues'], ENV)
    expect(listed.code, listed.err).toBe(0)
    const lines = listed.out.trim().split('\n')
    const line = (dir: string) => lines.find((l) => l.startsWith(`${basename(dir)}\t`))?.split('\t')
    expect(line(old)?.slice(1, 4)).toEqual([
      'FIELDLINE_* variables: mbed https://api.connector.mbed.com, broker mqtt://old-broker.example:1883, client id a:org1:bridge',
      'not configured by the current FIELDLINE_* variables',
      '3 messages waiting',
    ])
    expect(line(old)?.[4]).toBe(`${filesBytes(old).toLocaleString('en-US')} bytes`)
    expect(line(old)?.[6]).toBe('2 early async responses')
    expect(line(old)?.[7]).toBe(`2 commands for devices, oldest ${new Date(Math.min(...commandsAt)).toISOString()}`)
    const oldest = Date.parse(line(old)?.[5]?.replace('oldest ', '') ?? '')
    expect(oldest).toBeGreaterThanOrEqual(before - 1000)
    expect(oldest).toBeLessThanOrEqual(Date.now())
    expect(line(current)?.slice(1, 4)).toEqual(['FIELDLINE_* variables (not recorded: an older queue)', 'configured by the current FIELDLINE_* variables', '1 message waiting'])
    expect(line(current)?.[6]).toBe('0 early async responses')
    expect(line(current)?.[7]).toBe('0 commands for devices')
    expect(line(gone)?.slice(1, 4)).toEqual(['mbed profile gone, deleted', 'no longer configured', '2 messages waiting'])

    const json = await runCli(dataDir, ['--json', 'bridge', 'mbed', 'queues'], ENV)
    const parsed = JSON.parse(json.out) as { name: string; configured: boolean; waiting: number; early: number; commands: number; commandsOldestAt: string | null; heldBy: number | null }[]
    const oldestCommand = new Date(Math.min(...commandsAt)).toISOString()
    expect(parsed.map((q) => [q.name, q.configured, q.waiting, q.early, q.commands, q.commandsOldestAt, q.heldBy])).toEqual(
      [
        [basename(old), false, 3, 2, 2, oldestCommand, null],
        [basename(current), true, 1, 0, 0, null, null],
        [basename(gone), false, 2, 0, 0, null, null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    )

    // The current environment's queue: its bridge publishes these at its next start.
    const refusedCurrent = await runCli(dataDir, ['bridge', 'mbed', 'queues', 'remove', basename(current), '--yes'], ENV)
    expect(refusedCurrent.code).toBe(2)
    expect(refusedCurrent.err).toContain(`The queue ${basename(current)} belongs to the mbed bridge configured by this environment's FIELDLINE_* variables`)
    expect(existsSync(current)).toBe(true)

    // Held by a running bridge (this process holds its lock).
    const held = DiskQueue.open({ dir: gone, codec: { encode: () => Buffer.from('x\n'), decode: () => ({}) }, locked: () => new Error('locked'), capacity: 10 })
    try {
      const refusedHeld = await runCli(dataDir, ['bridge', 'mbed', 'queues', 'remove', basename(gone), '--yes'], ENV)
      expect(refusedHeld.code).toBe(2)
      expect(refusedHeld.err).toContain(`The mbed bridge of process ${process.pid} is using the queue ${basename(gone)}: stop it first`)
    } finally {
      held.close()
    }
    expect(existsSync(gone)).toBe(true)

    // Not confirmed (no terminal to ask on): nothing deleted.
    const unconfirmed = await runCli(dataDir, ['bridge', 'mbed', 'queues', 'remove', basename(old)], ENV)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.err).toContain('deletes its 3 messages, 2 early async responses and 2 commands for devices for good: pass --yes to confirm')
    expect(existsSync(old)).toBe(true)

    const removed = await runCli(dataDir, ['bridge', 'mbed', 'queues', 'remove', basename(old), '--yes'], ENV)
    expect(removed.code, removed.err).toBe(0)
    expect(removed.out.trim()).toBe(`deleted ${basename(old)} and its 3 messages, 2 early async responses and 2 commands for devices`)
    expect(existsSync(old)).toBe(false)
    expect(existsSync(current)).toBe(true)

    const bad = await runCli(dataDir, ['bridge', 'mbed', 'queues', 'remove', '../workspace', '--yes'], ENV)
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('is not the name of an mbed queue')

    const ws = await openWorkspace(dataDir)
    try {
      const audit = await listAudit(ws.db, { query: 'mbed.queue.remove', offset: 0, limit: 10 })
      expect(audit.items).toHaveLength(1)
      expect(audit.items[0]).toMatchObject({
        action: 'mbed.queue.remove',
        target: `mbed/queues/${basename(old)}`,
        outcome: 'ok',
        before: { waiting: 3, early: 2, commands: 2, commandsOldestAt: oldestCommand, owner: { kind: 'environment', clientId: 'a:org1:bridge' } },
      })
    } finally {
      await ws.close()
    }
  })

  it('says so when the data directory has no mbed queue', async () => {
    const run = await runCli(dataDir, ['bridge', 'mbed', 'queues'], ENV)
    expect(run.code).toBe(0)
    expect(run.out).toBe('')
    expect(run.err).toContain('no mbed queue in this data directory')
  })

  // Cold trial: FIELDLINE_MBED_URL=notaurl was refused (exit 2), yet `queues` then listed an env- queue for "mbed notaurl".
  it('leaves no queue behind for variables the bridge refuses, and names the variable', { timeout: 60_000 }, async () => {
    const env = { FIELDLINE_MBED_ACCESS_KEY: 'k', FIELDLINE_MQTT_URL: 'mqtt://127.0.0.1:1', FIELDLINE_MQTT_CLIENT_ID: 'a:org1:bridge' }
    for (const [name, value] of [
      ['FIELDLINE_MBED_URL', 'notaurl'],
      ['FIELDLINE_MBED_QUEUE_SIZE', 'lots'],
      ['FIELDLINE_MBED_DEVICE_TYPE', 'a/b'],
    ] as const) {
      const refused = await runCli(dataDir, ['bridge', 'mbed'], { ...env, [name]: value })
      expect(refused.code, refused.err).toBe(2)
      expect(refused.err).toContain(`fieldline: invalid bridge configuration: ${name}: `)
    }
    expect(existsSync(join(dataDir, 'mbed'))).toBe(false)
    expect((await runCli(dataDir, ['bridge', 'mbed', 'queues'], env)).err).toContain('no mbed queue in this data directory')
  })
})
