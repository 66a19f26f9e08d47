/**
 * The mbed bridge picks up where it left off: against a real mosquitto (test/helpers/mosquitto) and the mbed peer.
 *
 * - Its own persistent MQTT session (src-main/core/mbed/session.ts): commands published while the bridge is stopped
 *   reach mbed when it starts again, each once; those published while it is failed are journalled and sent once it
 *   runs; a changed client id ends the old session at the broker, at once or, when the broker is away, at the next
 *   start of a bridge on that broker; so does a FIELDLINE_* bridge whose client id changed (its earlier queue's session).
 * - A disk that refuses its queue (a full tmpfs, test/helpers/mounts): the bridge fails saying so and when it tries
 *   again, holds what mbed handed over, and once the disk takes writes again resumes by itself and delivers both the
 *   notifications and a command published meanwhile.
 *
 * No timed assertions: tests wait for states, counts and messages with expect.poll.
 */
import { existsSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { commandJournalDir } from '../../src-main/core/mbed/command-journal'
import { configQueueDir } from '../../src-main/core/mbed/queue-dir'
import { recordEnvironmentOrigin, replacedEnvironmentQueues } from '../../src-main/core/mbed/queues'
import { bridgeClientId, replaceSession } from '../../src-main/core/mbed/session'
import { tempDir } from '../helpers/core'
import { FAST, POLL, b64, cleanups, command, endpoint, resumeSession, runCleanups, setup, subscriber } from '../helpers/mbed-bridge'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { fillDisk, mountSkipReason, smallDisk } from '../helpers/mounts'

const skip = mosquittoSkipReason()
const mountSkip = await mountSkipReason()
afterEach(runCleanups)

describe.skipIf(skip)('mbed bridge: picking up where it left off', () => {
  let broker: Mosquitto

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('delivers the commands published while it was stopped when it starts again, each once', async () => {
    const sub = await subscriber(broker.url)
    const queue = await tempDir('fieldline-mbed-queue-')
    cleanups.push(() => queue.cleanup())
    const first = await setup(broker.url, { persistent: true, bridge: { queueDir: queue.dir } })
    const light = endpoint(first.peer, 'Light')
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5851', payload: b64('10') })
    await expect.poll(() => first.peer.commands().length, POLL).toBe(1)
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)

    // Stopped as the CLI and the app stop it: the bridge, then its link (the broker keeps the session).
    await first.bridge.stop()
    await first.link.close()
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5851', payload: b64('20') })
    await command(sub.client, 'Light', light.name, { method: 'POST', deviceId: light.name, resourceId: '3/0/4' }, 'reboot')
    expect(first.peer.commands()).toHaveLength(1)

    const second = await setup(broker.url, { persistent: true, existingPeer: first.peer, bridge: { queueDir: queue.dir } })
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(3)
    expect(first.peer.commands().map((c) => [c.method, c.path, c.body.toString()])).toEqual([
      ['PUT', '/3311/0/5851', '10'],
      ['PUT', '/3311/0/5851', '20'],
      ['POST', '/3/0/4', ''],
    ])
    expect(second.bridge.counters()).toMatchObject({ commands: 2, commandErrors: 0 })
    expect(second.bridge.commands().map((c) => c.state)).toEqual(['answered', 'answered'])
  })

  it('takes the commands published while it is failed, and sends them to mbed once it runs again', async () => {
    const sub = await subscriber(broker.url)
    const queue = await tempDir('fieldline-mbed-queue-')
    cleanups.push(() => queue.cleanup())
    const { peer, bridge } = await setup(broker.url, { persistent: true, bridge: { queueDir: queue.dir } })
    const light = endpoint(peer, 'Light')
    peer.faults.set({ kind: 'status', status: 401, path: /notification\/pull/, times: 1 })
    await expect.poll(() => bridge.state, POLL).toBe('failed')
    expect(bridge.status().restartAt).toBeNull()
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5851', payload: b64('7') })
    // Taken (in the journal on disk, so acknowledged to the broker), not sent: a failed bridge sends nothing to mbed.
    const journal = join(commandJournalDir(queue.dir), '000000000001.seg')
    await expect.poll(() => (existsSync(journal) ? readFileSync(journal, 'utf8') : ''), POLL).toContain(`id/${light.name}/cmd/update`)
    expect(peer.commands()).toHaveLength(0)
    expect(bridge.counters().commands).toBe(0)

    await bridge.start()
    await expect.poll(() => peer.commands().map((c) => c.body.toString()), POLL).toEqual(['7'])
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
  })

  it('a changed platform client id ends the session the bridge used before on the same broker', async () => {
    const queues = await tempDir('fieldline-mbed-queues-')
    cleanups.push(() => queues.cleanup())
    const queueDir = join(queues.dir, 'profile-a')
    const before = { url: broker.url, clientId: `a:test:before-${process.pid}` }
    await replaceSession(before, queueDir)
    // The old session, as a bridge leaves it: persistent, subscribed, away.
    const oldId = bridgeClientId(before.clientId, queueDir)
    await resumeSession(broker.url, oldId)
    const sub = await subscriber(broker.url)
    await command(sub.client, 'Light', 'held', { method: 'PUT', deviceId: 'held', resourceId: '3311/0/5851', payload: b64('1') })
    expect(await resumeSession(broker.url, oldId)).toEqual({ present: true, commands: ['iot-2/type/Light/id/held/cmd/update/fmt/json'] })

    await replaceSession({ ...before, clientId: `a:test:after-${process.pid}` }, queueDir)
    await command(sub.client, 'Light', 'gone', { method: 'PUT', deviceId: 'gone', resourceId: '3311/0/5851', payload: b64('2') })
    expect(await resumeSession(broker.url, oldId)).toEqual({ present: false, commands: [] })
  })

  it('a session it could not end (broker away) is ended by the next bridge that starts on that broker; no command is kept for it', async () => {
    const away = await startMosquitto({ persistence: true })
    cleanups.push(() => away.stop())
    const queues = await tempDir('fieldline-mbed-queues-')
    cleanups.push(() => queues.cleanup())
    const queueDir = join(queues.dir, 'profile-a')
    const before = { url: away.url, clientId: `a:test:before-${process.pid}` }
    await replaceSession(before, queueDir)
    const oldId = bridgeClientId(before.clientId, queueDir)
    await resumeSession(away.url, oldId)

    // The client id changes while the broker is away (persistence on: it keeps the session across its restart).
    await away.kill()
    await replaceSession({ ...before, clientId: `a:test:after-${process.pid}` }, queueDir)
    expect(JSON.parse(readFileSync(join(queues.dir, 'sessions-to-end.json'), 'utf8'))).toEqual([{ url: away.url, clientId: oldId }])
    await away.start()

    // Another bridge of the data folder starts on that broker.
    await replaceSession({ url: away.url, clientId: `a:test:other-${process.pid}` }, join(queues.dir, 'profile-b'))
    expect(JSON.parse(readFileSync(join(queues.dir, 'sessions-to-end.json'), 'utf8'))).toEqual([])
    const sub = await subscriber(away.url)
    await command(sub.client, 'Light', 'gone', { method: 'PUT', deviceId: 'gone', resourceId: '3311/0/5851', payload: b64('3') })
    expect(await resumeSession(away.url, oldId)).toEqual({ present: false, commands: [] })
  })

  it('a FIELDLINE_* bridge whose client id changed ends the session of its earlier configuration at start (another queue)', async () => {
    const data = await tempDir('fieldline-mbed-data-')
    cleanups.push(() => data.cleanup())
    const mbed = { apiUrl: 'https://api.connector.mbed.com' }
    const before = { mbed, mqtt: { url: broker.url, clientId: `a:test:env-before-${process.pid}` } }
    const beforeDir = configQueueDir(data.dir, before)
    recordEnvironmentOrigin(beforeDir, before)
    await replaceSession(before.mqtt, beforeDir)
    const oldId = bridgeClientId(before.mqtt.clientId, beforeDir)
    await resumeSession(broker.url, oldId)
    // Another mbed account's bridge of the same folder, on another mbed URL: not replaced.
    const other = { mbed: { apiUrl: 'https://other.example' }, mqtt: { url: broker.url, clientId: `a:test:env-other-${process.pid}` } }
    recordEnvironmentOrigin(configQueueDir(data.dir, other), other)

    const after = { mbed, mqtt: { url: broker.url, clientId: `a:test:env-after-${process.pid}` } }
    const afterDir = configQueueDir(data.dir, after)
    const replacing = replacedEnvironmentQueues(data.dir, after, afterDir)
    expect(replacing).toEqual([beforeDir])
    recordEnvironmentOrigin(afterDir, after)
    await replaceSession(after.mqtt, afterDir, undefined, { dirs: replacing })
    const sub = await subscriber(broker.url)
    await command(sub.client, 'Light', 'gone', { method: 'PUT', deviceId: 'gone', resourceId: '3311/0/5851', payload: b64('4') })
    expect(await resumeSession(broker.url, oldId)).toEqual({ present: false, commands: [] })
  })

  describe.skipIf(mountSkip !== null)('on a disk that fills up', () => {
    it('fails saying why and when it tries again, then resumes by itself once the disk takes writes, delivering what waited', async () => {
      const disk = await smallDisk('2m')
      cleanups.push(() => disk.close())
      const sub = await subscriber(broker.url)
      const { peer, bridge, events } = await setup(broker.url, {
        persistent: true,
        bridge: { queueDir: join(disk.dir, 'queue'), restart: FAST },
      })
      const sensor = endpoint(peer, 'Sensor')
      const light = endpoint(peer, 'Light')
      peer.notify(sensor.name, '/3303/0/5700', 'before')
      await expect.poll(() => sub.of('notify').length, POLL).toBe(1)

      const filler = await fillDisk(disk.dir)
      // More than the last page of the queue's file still holds (a tmpfs hands out whole pages).
      const readings = Array.from({ length: 40 }, (_, i) => `while-full-${i}-${'x'.repeat(200)}`)
      for (const r of readings) peer.notify(sensor.name, '/3303/0/5700', r)
      await expect.poll(() => bridge.state, POLL).toBe('failed')
      const failed = bridge.status()
      expect(failed).toMatchObject({ failedSide: 'disk', reason: { code: 'DISK_FULL' } })
      expect(failed.restartAt).not.toBeNull()
      // What the disk refused is held, not dropped: mbed has forgotten it.
      expect(bridge.counters().dropped).toBe(0)
      // Each try that finds the disk still full says when the next one is.
      await expect
        .poll(() => new Set(events.filter((e) => e.name === 'mbed:state' && e.payload.state === 'failed').map((e) => (e.name === 'mbed:state' ? e.payload.restartAt : null))).size, POLL)
        .toBeGreaterThan(1)
      // A command published meanwhile cannot be journalled: the broker keeps it (no acknowledgement).
      await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5851', payload: b64('42') })

      await rm(filler)
      await expect.poll(() => bridge.state, POLL).toBe('running')
      await expect.poll(() => sub.of('notify').map((r) => Buffer.from(String(r.body.payload), 'base64').toString()), POLL).toEqual(['before', ...readings])
      await expect.poll(() => peer.commands().length, POLL).toBe(1)
      expect(peer.commands()[0]?.body.toString()).toBe('42')
      await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
      expect(bridge.counters()).toMatchObject({ dropped: 0 })
      expect(peer.commands()).toHaveLength(1)
    })
  })
})
