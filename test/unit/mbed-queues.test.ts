/**
 * The mbed queues of a data directory (src-main/core/mbed/queues.ts) apart from the CLI: whose each is, the removal
 * rules with their translatable reasons, a held queue, the early async responses and the commands for devices a
 * queue's journals hold, the MQTT session a removal leaves to end, and the name
 * the FIELDLINE_* variables give their queue.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { bridgeConfigFromEnv } from '../../src-main/core/mbed/config'
import { createPublishQueue, type PublishQueueOptions } from '../../src-main/core/mbed/publish-queue'
import { configQueueDir, environmentQueueName, mbedQueuesDir, profileQueueDir } from '../../src-main/core/mbed/queue-dir'
import { bridgeClientId, replaceSession } from '../../src-main/core/mbed/session'
import { listMbedQueues, removeMbedQueue } from '../../src-main/core/mbed/queues'
import { EarlyAnswers, earlyAnswersDir } from '../../src-main/core/mbed/early-answers'
import { CommandJournal, commandJournalDir } from '../../src-main/core/mbed/command-journal'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fieldline-mbed-queues-'))
  dirs.push(dir)
  return dir
}

function queueIn(dir: string, count: number) {
  const link = { state: 'reconnecting', publish: () => Promise.resolve() } as unknown as PublishQueueOptions['link']
  const queue = createPublishQueue({ link, dir, queueSize: 100, maxInflight: 1, counters: { published: 0, dropped: 0, refused: 0 }, warn: () => undefined })
  queue.open()
  for (let i = 0; i < count; i++) queue.enqueue('t', `{"n":${i}}`, 'notify')
  return queue
}

/** Every file's bytes under `dir`, the early journal's included. */
function filesBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, f) => sum + (f.isDirectory() ? filesBytes(join(dir, f.name)) : statSync(join(dir, f.name)).size), 0)
}

const refusal = (f: () => unknown): { code: string; key: string | undefined; params: unknown } => {
  try {
    f()
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, key: e.details?.ref?.key, params: e.details?.ref?.params }
    throw e
  }
  throw new Error('not refused')
}

describe('mbed queues', () => {
  it('names a saved profile’s queue after it and refuses to remove it; removes it once the profile is gone', () => {
    const data = dataDir()
    queueIn(profileQueueDir(data, 'plant-a'), 2).close()
    const profiles = [{ id: 'plant-a', name: 'Plant A' }]
    expect(listMbedQueues(data, { profiles })).toMatchObject([{ name: 'profile-plant-a', owner: { kind: 'profile', id: 'plant-a', name: 'Plant A' }, configured: true, waiting: 2, heldBy: null }])
    expect(refusal(() => removeMbedQueue(data, 'profile-plant-a', { profiles }))).toEqual({ code: 'CONFLICT', key: 'mbed.queueOfProfile', params: { name: 'profile-plant-a', profile: 'Plant A' } })
    expect(removeMbedQueue(data, 'profile-plant-a', { profiles: [] })).toMatchObject({ name: 'profile-plant-a', waiting: 2, configured: false })
    expect(listMbedQueues(data, { profiles: [] })).toEqual([])
  })

  it('refuses a queue a bridge holds, a name that is no queue’s, and one that does not exist', () => {
    const data = dataDir()
    const held = queueIn(profileQueueDir(data, 'gone'), 1)
    expect(listMbedQueues(data, { profiles: [] })[0]?.heldBy).toBe(process.pid)
    expect(refusal(() => removeMbedQueue(data, 'profile-gone', { profiles: [] }))).toEqual({ code: 'CONFLICT', key: 'mbed.queueInUse', params: { name: 'profile-gone', pid: process.pid } })
    held.close()
    for (const name of ['../workspace', 'env-xyz', 'profile-', 'historian', '']) {
      expect(refusal(() => removeMbedQueue(data, name, { profiles: [] })).key, name).toBe('mbed.queueNameInvalid')
    }
    expect(refusal(() => removeMbedQueue(data, 'env-0123456789abcdef', { profiles: [] }))).toMatchObject({ code: 'NOT_FOUND', key: 'mbed.queueNotFound' })
    expect(listMbedQueues(join(data, 'nowhere'), { profiles: [] })).toEqual([])
  })

  it('keeps the MQTT session of a removed queue to end at the next bridge start on its broker; a refused removal keeps nothing', async () => {
    const data = dataDir()
    const dir = profileQueueDir(data, 'gone')
    const mqtt = { url: 'mqtt://fieldline:secret@127.0.0.1:1', clientId: 'a:org1:app1' }
    // As a bridge's start records it (no earlier session, none to end: no connection).
    await replaceSession(mqtt, dir)
    const toEnd = join(mbedQueuesDir(data), 'sessions-to-end.json')
    const held = queueIn(dir, 1)
    expect(refusal(() => removeMbedQueue(data, 'profile-gone', { profiles: [] })).key).toBe('mbed.queueInUse')
    expect(existsSync(toEnd)).toBe(false)
    held.close()
    removeMbedQueue(data, 'profile-gone', { profiles: [] })
    expect(JSON.parse(readFileSync(toEnd, 'utf8'))).toEqual([{ url: 'mqtt://***@127.0.0.1:1', clientId: bridgeClientId(mqtt.clientId, dir) }])
    expect(listMbedQueues(data, { profiles: [] })).toEqual([])
  })

  it('counts the early async responses its journal still holds, while a bridge holds it too, and removes them with the queue', () => {
    const data = dataDir()
    const dir = profileQueueDir(data, 'gone')
    queueIn(dir, 1).close()
    const early = new EarlyAnswers({ dir: earlyAnswersDir(dir), capacity: 10 })
    early.open()
    for (const id of ['a-1', 'a-2', 'a-3']) early.hold({ id, status: 200, payload: 'MjE=' }, Date.now())
    // Claimed by its command: it left the journal (a later line says so, the cursor past it or not).
    early.settle('a-2')
    // Read while the journal is open and locked, as a running bridge holds it.
    expect(listMbedQueues(data, { profiles: [] })).toMatchObject([{ name: 'profile-gone', waiting: 1, early: 2 }])
    early.close()
    const [listed] = listMbedQueues(data, { profiles: [] })
    expect(listed).toMatchObject({ waiting: 1, early: 2 })
    expect(listed!.bytes).toBe(filesBytes(dir))
    expect(removeMbedQueue(data, 'profile-gone', { profiles: [] })).toMatchObject({ name: 'profile-gone', waiting: 1, early: 2 })
    expect(existsSync(dir)).toBe(false)
    // A queue with no early journal at all holds none.
    queueIn(dir, 1).close()
    expect(listMbedQueues(data, { profiles: [] })).toMatchObject([{ waiting: 1, early: 0 }])
  })

  it('counts the commands for devices its journal still holds, with the oldest, and removes them with the queue', () => {
    const data = dataDir()
    const dir = profileQueueDir(data, 'gone')
    queueIn(dir, 1).close()
    const journal = new CommandJournal({ dir: commandJournalDir(dir), capacity: 10 })
    journal.open()
    const answered = journal.take('iot-2/type/mbed/id/ep-1/cmd/put/fmt/json', Buffer.from('{"n":1}'))
    const sent = journal.take('iot-2/type/mbed/id/ep-2/cmd/put/fmt/json', Buffer.from('{"n":2}'))
    const unsent = journal.take('iot-2/type/mbed/id/ep-3/cmd/put/fmt/json', Buffer.from('{"n":3}'))
    // Answered by mbed: it left the journal. Sent without an answer yet: still there (the next start reports it).
    journal.sending(answered.id)
    journal.done(answered.id)
    journal.sending(sent.id)
    const expected = { name: 'profile-gone', waiting: 1, commands: 2, commandsOldestAt: new Date(Math.min(sent.at, unsent.at)).toISOString() }
    // Read while the journal is open and locked, as a running bridge holds it.
    expect(listMbedQueues(data, { profiles: [] })).toMatchObject([expected])
    journal.close()
    const [listed] = listMbedQueues(data, { profiles: [] })
    expect(listed).toMatchObject(expected)
    expect(listed!.bytes).toBe(filesBytes(dir))
    expect(removeMbedQueue(data, 'profile-gone', { profiles: [] })).toMatchObject(expected)
    expect(existsSync(dir)).toBe(false)
    // A queue with no command journal at all holds none.
    queueIn(dir, 1).close()
    expect(listMbedQueues(data, { profiles: [] })).toMatchObject([{ waiting: 1, commands: 0, commandsOldestAt: null }])
  })

  it('names the queue of the FIELDLINE_* variables as the bridge they configure does, without the access key', () => {
    const env = { FIELDLINE_MBED_URL: ' https://mbed.example ', FIELDLINE_MQTT_URL: 'mqtts://broker.example:8883', FIELDLINE_MQTT_CLIENT_ID: 'a:org:app', FIELDLINE_MBED_ACCESS_KEY: 'ak_x' }
    expect(environmentQueueName(env)).toBe(basename(configQueueDir('/data', bridgeConfigFromEnv(env))))
    const noUrl = { ...env, FIELDLINE_MBED_URL: '' }
    expect(environmentQueueName({ ...noUrl, FIELDLINE_MBED_ACCESS_KEY: '' })).toBe(basename(configQueueDir('/data', bridgeConfigFromEnv(noUrl))))
    expect(environmentQueueName({ FIELDLINE_MQTT_URL: 'mqtt://x' })).toBeNull()
  })
})
