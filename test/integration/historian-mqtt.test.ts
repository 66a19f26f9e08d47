/**
 * The historian's MQTT source against Debian's mosquitto: events published by devices (QoS 1) reach CouchDB; the
 * forwarder's persistent session keeps what is published while it is stopped; a message the forwarder cannot queue is
 * not acknowledged and comes again; MQTT 5 shared subscriptions split the events between forwarders, each stored once;
 * and a destination that is away (the outage shortened to a few seconds, the back-off scaled down with it: the same
 * retries happen, only sooner) gets every event exactly once when it is back.
 */
import { Socket } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ForwarderConfig } from '../../src-main/core/historian/config'
import { createForwarder, type Forwarder } from '../../src-main/core/historian/forwarder'
import { createPlatformLink } from '../../src-main/core/platform/link'
import { DiskQueue } from '../../src-main/core/store/disk-queue'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { tempDir } from '../helpers/core'
import { FAST, POLL, couchDestination } from '../helpers/historian'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe.skipIf(skip)('historian MQTT source', () => {
  let broker: Mosquitto
  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 0 })
  })
  afterAll(async () => broker?.stop())

  async function publisher(): Promise<MqttClient> {
    const c = await connectAsync(broker.url, { clientId: `pub-${Math.random().toString(36).slice(2)}`, protocolVersion: 5 })
    cleanups.push(() => c.endAsync())
    return c
  }

  async function publish(c: MqttClient, from: number, count: number, type = 'sensor'): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, i) => c.publishAsync(`iot-2/type/${type}/id/d${(from + i) % 7}/evt/reading/fmt/json`, JSON.stringify({ n: from + i }), { qos: 1 })))
  }

  async function couch(): Promise<CouchPeer> {
    const p = await startCouchPeer()
    cleanups.push(() => p.close())
    return p
  }

  function config(p: CouchPeer, instanceId: string, shareGroup = ''): ForwarderConfig {
    const dest = couchDestination(p)
    return {
      id: `hist-${instanceId}`,
      org: 'testorg',
      mqtt: { url: broker.url, clientId: 'a:testorg:historian', protocolVersion: 5, shareGroup, instanceId, sessionExpirySeconds: 600 },
      mbed: false,
      rules: [{ deviceType: '*', eventId: '*', destinations: [dest.ref as never] }],
      destinations: [dest],
    }
  }

  async function forwarder(cfg: ForwarderConfig, dataDir?: string): Promise<Forwarder> {
    let dir = dataDir
    if (!dir) {
      const t = await tempDir()
      cleanups.push(t.cleanup)
      dir = t.dir
    }
    const f = createForwarder({ config: cfg, dataDir: dir, tuning: FAST })
    await f.start()
    cleanups.push(() => f.stop())
    await expect.poll(() => f.status().mqtt.state, POLL).toBe('connected')
    return f
  }

  async function storedNumbers(p: CouchPeer): Promise<number[]> {
    const dbs = (await p.databases()).filter((d) => /^iotp_testorg_hist_\d/.test(d))
    const docs = (await Promise.all(dbs.map((d) => p.docs(d)))).flat()
    return docs.map((d) => (d.data as { n: number }).n).sort((a, b) => a - b)
  }

  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

  it('stores the device events of the broker, and those published while it was stopped (persistent session)', async () => {
    const p = await couch()
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const pub = await publisher()
    const first = await forwarder(config(p, 'one'), t.dir)
    expect(first.status().mqtt.filter).toBe('iot-2/type/+/id/+/evt/+/fmt/+')
    await publish(pub, 0, 50)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(50))
    await first.stop()
    await publish(pub, 50, 50)
    const second = await forwarder(config(p, 'one'), t.dir)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(100))
    expect(second.status().received).toBe(50)
  })

  it('acknowledges the messages that arrive together in one write, each once its event is queued (a backlog of 200: far fewer writes than messages)', async () => {
    const p = await couch()
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const pub = await publisher()
    const first = await forwarder(config(p, 'burst'), t.dir)
    await first.stop()
    await publish(pub, 0, 200)
    // Every write the process's sockets make to the broker, but the publisher's: the forwarder's CONNECT, SUBSCRIBE and
    // PUBACKs. mqtt.js writes each PUBACK on its own unless the link holds them.
    const socket = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => void>
    const original = { _write: socket._write, _writev: socket._writev }
    let writes = 0
    for (const name of ['_write', '_writev'] as const) {
      socket[name] = function (this: Socket, ...args: unknown[]) {
        if (this !== pub.stream && this.remotePort === broker.port) writes++
        original[name].apply(this, args)
      }
    }
    cleanups.push(async () => Object.assign(socket, original))
    await forwarder(config(p, 'burst'), t.dir)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(200))
    Object.assign(socket, original)
    expect(writes).toBeGreaterThan(0)
    expect(writes).toBeLessThan(100)
  })

  /**
   * The forwarder's writes to the broker (the publisher's excepted): at each, the PUBACKs its socket has sent. Returns the
   * sockets opened since, in order, and the PUBACKs each has sent.
   */
  function watchForwarderWrites(pub: MqttClient, onWrite: (pubacks: number) => void): { sockets: Socket[]; pubacksOf(s: Socket): number } {
    const socket = Socket.prototype as unknown as Record<'_write' | '_writev' | 'connect', (this: Socket, ...args: unknown[]) => unknown>
    const original = { _write: socket._write, _writev: socket._writev, connect: socket.connect }
    const sockets: Socket[] = []
    socket.connect = function (this: Socket, ...args: unknown[]) {
      sockets.push(this)
      return original.connect.apply(this, args)
    }
    // The byte stream of each socket, read packet by packet: a fixed header byte (type in the high 4 bits, PUBACK 4), the
    // remaining length as a variable byte integer, the rest.
    const streams = new Map<Socket, { pending: Buffer; pubacks: number }>()
    const read = (s: Socket, chunk: Buffer | string, encoding: unknown): number => {
      const st = streams.get(s) ?? { pending: Buffer.alloc(0), pubacks: 0 }
      streams.set(s, st)
      st.pending = Buffer.concat([st.pending, typeof chunk === 'string' ? Buffer.from(chunk, encoding as BufferEncoding) : chunk])
      for (;;) {
        const bytes = st.pending
        let length = 0
        let i = 1
        for (let shift = 0; i < bytes.length; i++, shift += 7) {
          length += ((bytes[i] as number) & 0x7f) << shift
          if (((bytes[i] as number) & 0x80) === 0) break
        }
        if (i >= bytes.length || bytes.length < i + 1 + length) return st.pubacks
        if ((bytes[0] as number) >> 4 === 4) st.pubacks++
        st.pending = bytes.subarray(i + 1 + length)
      }
    }
    socket._write = function (this: Socket, ...args: unknown[]) {
      if (this !== pub.stream && this.remotePort === broker.port) onWrite(read(this, args[0] as Buffer | string, args[1]))
      original._write.apply(this, args)
    }
    socket._writev = function (this: Socket, ...args: unknown[]) {
      if (this !== pub.stream && this.remotePort === broker.port) {
        let pubacks = 0
        for (const c of args[0] as { chunk: Buffer | string; encoding: unknown }[]) pubacks = read(this, c.chunk, c.encoding)
        onWrite(pubacks)
      }
      original._writev.apply(this, args)
    }
    cleanups.push(async () => Object.assign(socket, original))
    return { sockets, pubacksOf: (s) => streams.get(s)?.pubacks ?? 0 }
  }

  it('writes the events of one read to the queue with one write, and their acknowledgements leave only after it', async () => {
    const p = await couch()
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const pub = await publisher()
    const first = await forwarder(config(p, 'batched'), t.dir)
    await first.stop()
    await publish(pub, 0, 200)
    const batches: number[] = []
    let written = 0
    const appendLines = DiskQueue.prototype.appendLines
    DiskQueue.prototype.appendLines = function (this: DiskQueue<object>, lines, items) {
      appendLines.call(this, lines, items)
      batches.push(lines.length)
      written += lines.length
    }
    cleanups.push(async () => {
      DiskQueue.prototype.appendLines = appendLines
    })
    // At each write to the socket: how many PUBACKs it has sent by then, and how many events the queue had by then.
    const seen: { pubacks: number; written: number }[] = []
    watchForwarderWrites(pub, (pubacks) => seen.push({ pubacks, written }))
    await forwarder(config(p, 'batched'), t.dir)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(200))
    expect(written).toBe(200)
    expect(batches.length).toBeLessThan(100)
    expect(seen.at(-1)?.pubacks).toBe(200)
    for (const s of seen) expect(s.pubacks).toBeLessThanOrEqual(s.written)
  })

  it('a batched write that fails acknowledges nothing of its read: the broker delivers every message of it again', async () => {
    const p = await couch()
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const pub = await publisher()
    const first = await forwarder(config(p, 'batch-fails'), t.dir)
    await first.stop()
    await publish(pub, 0, 200)
    const failed: number[] = []
    const appendLines = DiskQueue.prototype.appendLines
    DiskQueue.prototype.appendLines = function (this: DiskQueue<object>, lines, items) {
      if (failed.length === 0 && lines.length > 1) {
        const socket = watch.sockets.at(-1) as Socket
        atFailure = { socket, pubacks: watch.pubacksOf(socket) }
        for (const line of lines) failed.push((JSON.parse(Buffer.from((JSON.parse(line.toString()) as { p: string }).p, 'base64').toString()) as { n: number }).n)
        throw new Error('the disk is full')
      }
      appendLines.call(this, lines, items)
    }
    cleanups.push(async () => {
      DiskQueue.prototype.appendLines = appendLines
    })
    // The connection whose write failed, and the PUBACKs it had sent before: it must send no more.
    let atFailure: { socket: Socket; pubacks: number } | undefined
    const watch = watchForwarderWrites(pub, () => undefined)
    const second = await forwarder(config(p, 'batch-fails'), t.dir)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(200))
    expect(failed.length).toBeGreaterThan(1)
    expect(second.status().intakeFailures).toBe(failed.length)
    // Each message of the failed read came again (none of it was acknowledged), and was stored once.
    expect(second.status().received).toBeGreaterThanOrEqual(200 + failed.length)
    expect(atFailure).toBeDefined()
    expect(watch.sockets.length).toBeGreaterThan(1)
    expect(watch.pubacksOf(atFailure!.socket)).toBe(atFailure!.pubacks)
  })

  it.each([false, true])(
    'a message its subscriber could not keep is not acknowledged: the link drops the connection and the broker delivers it again (acknowledgements coalesced: %s)',
    async (coalesceAcks) => {
      const link = createPlatformLink({
        url: broker.url,
        clientId: `A:testorg:refuse:${String(coalesceAcks)}`,
        protocolVersion: 5,
        session: { persistent: true, expirySeconds: 60 },
        reconnect: { minMs: 50, maxMs: 200 },
        coalesceAcks,
      })
      cleanups.push(() => link.close())
      const seen: string[] = []
      let refuse = true
      const sub = link.subscribe(
        'iot-2/type/+/id/+/evt/+/fmt/+',
        (_topic, payload) => {
          seen.push(payload.toString())
          if (refuse) {
            refuse = false
            throw new Error('the disk is full')
          }
        },
        { refuseOnError: true },
      )
      await link.connect()
      await sub.ready
      const pub = await publisher()
      await pub.publishAsync('iot-2/type/t/id/d/evt/e/fmt/json', '{"n":1}', { qos: 1 })
      await expect.poll(() => seen, POLL).toEqual(['{"n":1}', '{"n":1}'])
      // The broker sends the session's message right after CONNACK, before the link's SUBACK makes it 'connected'.
      await expect.poll(() => link.state, POLL).toBe('connected')
    },
  )

  it('two forwarders in one MQTT 5 shared subscription split the events; each is stored once', async () => {
    const p = await couch()
    const a = await forwarder(config(p, 'share-a', 'fleet'))
    const b = await forwarder(config(p, 'share-b', 'fleet'))
    expect(a.status().mqtt.filter).toBe('$share/fleet/iot-2/type/+/id/+/evt/+/fmt/+')
    const pub = await publisher()
    await publish(pub, 0, 200)
    await expect.poll(() => storedNumbers(p), POLL).toEqual(range(200))
    expect(a.status().received + b.status().received).toBe(200)
    expect(a.status().received).toBeGreaterThan(0)
    expect(b.status().received).toBeGreaterThan(0)
  })

  it('a destination away for a while, then back: every event published meanwhile is stored exactly once (by id)', async () => {
    const p = await couch()
    const f = await forwarder(config(p, 'outage'))
    const pub = await publisher()
    let next = 0
    let streaming = true
    const stream = (async () => {
      while (streaming) {
        await publish(pub, next, 20)
        next += 20
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    await expect.poll(async () => (await storedNumbers(p)).length, POLL).toBeGreaterThan(40)
    await p.stop()
    await expect.poll(() => f.status().destinations[0]?.state, POLL).toBe('backingOff')
    // The outage: long enough for several failed attempts with the scaled-down back-off (50–400 ms).
    await new Promise((r) => setTimeout(r, 3_000))
    expect(f.status().destinations[0]?.queued).toBeGreaterThan(0)
    await p.start()
    await new Promise((r) => setTimeout(r, 500))
    streaming = false
    await stream
    await expect.poll(async () => (await storedNumbers(p)).length, POLL).toBe(next)
    expect(await storedNumbers(p)).toEqual(range(next))
    const dbs = (await p.databases()).filter((d) => /^iotp_testorg_hist_\d/.test(d))
    const ids = (await Promise.all(dbs.map((d) => p.docs(d)))).flat().map((d) => d._id)
    expect(new Set(ids).size).toBe(next)
    expect(f.status().destinations[0]).toMatchObject({ state: 'connected', queued: 0, dropped: 0 })
  })
})
