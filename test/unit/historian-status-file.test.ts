/**
 * The forwarder's status file (read by `fieldline historian status` in another process) is replaced whole, so a reader
 * never sees half of it, but never with a synchronous rename: that costs milliseconds on ext4 (up to a hundred on a busy
 * disk) on the event loop, holding up the intake and its acknowledgements. `start` and `stop` resolve once the status
 * they set is in the file.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { kafkaSettingsSchema } from '../../src-shared/models/historian'
import type { ForwarderConfig } from '../../src-main/core/historian/config'
import { createForwarder } from '../../src-main/core/historian/forwarder'
import { forwarderDir } from '../../src-main/core/historian/status-file'
import { DeliveryError } from '../../src-main/core/historian/delivery-error'
import { allStored } from '../../src-main/core/historian/sink'
import { tempDir } from '../helpers/core'

const fsCalls = vi.hoisted(() => ({ renameSync: [] as string[] }))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  return {
    ...fs,
    renameSync: (from: string, to: string) => {
      fsCalls.renameSync.push(String(to))
      fs.renameSync(from, to)
    },
  }
})

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A forwarder fed by mbed events alone, with one Kafka destination (its sink is the test's). */
function kafkaForwarder(id: string): ForwarderConfig {
  return {
    id,
    org: 'org',
    mqtt: null,
    mbed: true,
    rules: [{ deviceType: '*', eventId: '*', destinations: ['kafka/k'] }],
    destinations: [{ ref: 'kafka/k', name: 'K', kind: 'kafka', settings: kafkaSettingsSchema.parse({ topic: 'events', security: 'plaintext' }), secrets: {} }],
  }
}

describe('historian status file', () => {
  it('is written off the event loop, and holds the state start and stop set when they resolve', async () => {
    const t = await tempDir('fieldline-status-')
    cleanups.push(t.cleanup)
    const config = kafkaForwarder('status-test')
    let tap: (topic: string, payload: string) => void = () => undefined
    const forwarder = createForwarder({
      config,
      dataDir: t.dir,
      mbed: {
        onDeviceEvent: (f) => {
          tap = f
          return () => undefined
        },
      },
      sinkFor: () => ({ concurrency: 1, deliver: async (events) => allStored(events.length), close: async () => undefined }),
    })
    const file = join(forwarderDir(t.dir, 'status-test'), 'status.json')
    const read = () => (JSON.parse(readFileSync(file, 'utf8')) as { status: { state: string; received: number } }).status

    await forwarder.start()
    expect(read().state).toBe('running')
    tap('iot-2/type/meter/id/m1/evt/usage/fmt/json', '{"n":1}')
    await expect.poll(() => read().received, { timeout: 5_000 }).toBe(1)
    await forwarder.stop()
    expect(read().state).toBe('stopped')
    expect(fsCalls.renameSync.filter((to) => to.endsWith('status.json'))).toEqual([])
  })

  it('is not written again once stop has resolved, when maintenance that was under way fails afterwards', async () => {
    const t = await tempDir('fieldline-status-')
    cleanups.push(t.cleanup)
    const config = kafkaForwarder('late-maintenance')
    let refuse: (e: Error) => void = () => undefined
    const maintenance = new Promise<void>((_, reject) => (refuse = reject))
    const statuses: string[] = []
    const forwarder = createForwarder({
      config,
      dataDir: t.dir,
      mbed: { onDeviceEvent: () => () => undefined },
      sinkFor: () => ({ concurrency: 1, deliver: async (events) => allStored(events.length), maintain: () => maintenance, close: async () => undefined }),
      onStatus: (s) => statuses.push(s.state),
    })
    await forwarder.start()
    await forwarder.stop()
    const after = statuses.length
    // A refusal that stops the destination, arriving after the forwarder stopped (a test's cleanup then met a folder
    // filled again while it removed it).
    refuse(new DeliveryError('stop', 'AUTH_FAILED', 'refused', { key: 'historian.authFailed' }))
    await new Promise((resolve) => setImmediate(resolve))
    expect(statuses.slice(after)).toEqual([])
    expect(statuses.at(-1)).toBe('stopped')
  })
})
