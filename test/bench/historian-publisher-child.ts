/**
 * One MQTT publisher of the historian benchmark in a process of its own (BENCH_PUBLISHERS=N starts N of them), so
 * that the source is not one mqtt.js client on one thread. It connects to BENCH_MQTT_URL, sends `ready` over IPC, and
 * on `go` publishes BENCH_COUNT events from BENCH_FROM on (historian-load.ts: QoS 1, 1,000 in flight), then sends
 * `{ done: <ms>, cpu: <CPU seconds> }` and exits.
 */
import { connectAsync } from 'mqtt'
import { publishAll } from './historian-load'

const from = Number(process.env.BENCH_FROM ?? 0)
const count = Number(process.env.BENCH_COUNT ?? 0)
const client = await connectAsync(process.env.BENCH_MQTT_URL ?? '', { clientId: `bench-publisher-${process.pid}`, protocolVersion: 5 })
process.once('message', (m) => {
  if (m !== 'go') return
  void (async () => {
    const cpu0 = process.cpuUsage()
    const ms = await publishAll(client, from, count)
    const cpu = process.cpuUsage(cpu0)
    await client.endAsync()
    process.send?.({ done: ms, cpu: (cpu.user + cpu.system) / 1e6 }, () => process.exit(0))
  })()
})
process.send?.('ready')
