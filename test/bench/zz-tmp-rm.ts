import { connectAsync, type MqttClient } from 'mqtt'
import { writeSync, openSync } from 'node:fs'
import { loadavg } from 'node:os'
import { startQuietBroker, sleep } from '/work/wt/h15w-historian/test/bench/bench-kit'
const broker = await startQuietBroker({ maxQueuedMessages: 0 })
const pub = await connectAsync(broker.url, { clientId: 'p', protocolVersion: 5 })
const N = Number(process.env.N ?? 50000)
const payload = (n: number) => JSON.stringify({ n, temp: 21.53, humidity: 48.2, battery: 3.71, status: 'ok', seq: n })
async function publishAll(from: number, count: number) {
  for (let i = from; i < from + count; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, from + count - i) }, (_, k) => pub.publishAsync(`iot-2/type/bench/id/dev${(i + k) % 1000}/evt/reading/fmt/json`, payload(i + k), { qos: 1 })))
}
const fd = openSync('/tmp/h15w/zz.out', 'a')
let round = 0
for (const rm of [undefined, 1000, undefined, 1000, 65535]) {
  const id = `s${round++}`
  const opts = { clientId: id, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600, ...(rm ? { receiveMaximum: rm } : {}) } }
  let sub: MqttClient = await connectAsync(broker.url, opts)
  await sub.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
  await sub.endAsync()
  await publishAll(0, N)
  let got = 0
  const t0 = performance.now()
  sub = await connectAsync(broker.url, opts, false) as MqttClient
  sub.on('message', (_t, p) => { got++; if (process.env.WORK) writeSync(fd, p) })
  sub.connect()
  while (got < N) await sleep(5)
  console.log(`receiveMaximum ${rm ?? 'unset'}: drained ${N} queued at ${Math.round(N * 1000 / (performance.now() - t0))}/s load ${loadavg()[0].toFixed(1)}`)
  await sub.endAsync()
}
await pub.endAsync(); await broker.stop(); process.exit(0)
