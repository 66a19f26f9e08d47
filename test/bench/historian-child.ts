/**
 * The forwarder of the historian benchmark, in a process of its own (its RSS is its own), configured by the same
 * FIELDLINE_HISTORIAN_* and FIELDLINE_MQTT_* variables as `fieldline historian run`. Every 100 ms it prints
 * `status <delivered> <queued> <received> <dropped> <mqtt state> <destination state>` on stdout; SIGTERM stops it (drain) and it prints
 * `summary <json>`. BENCH_HEAP=1 (with node --expose-gc) prints live heap figures every 2 s on stderr.
 */
import { configFromEnvironment } from '../../src-main/cli/commands/historian'
import { createForwarder } from '../../src-main/core/historian/forwarder'

const forwarder = createForwarder({ config: configFromEnvironment(process.env), dataDir: process.env.BENCH_DATA_DIR ?? '' })
await forwarder.start()
if (process.env.BENCH_HEAP) {
  // Live memory after a forced collection, next to RSS (which also counts garbage V8 has not collected yet).
  setInterval(() => {
    ;(globalThis as { gc?: () => void }).gc?.()
    const m = process.memoryUsage()
    const mib = (n: number): string => (n / 1048576).toFixed(1)
    process.stderr.write(`heap rss=${mib(m.rss)} heapUsed=${mib(m.heapUsed)} external=${mib(m.external)} arrayBuffers=${mib(m.arrayBuffers)}\n`)
  }, 2000).unref()
}
const ticker = setInterval(() => {
  const s = forwarder.status()
  const d = s.destinations[0]
  process.stdout.write(`status ${d?.delivered ?? 0} ${d?.queued ?? 0} ${s.received} ${d?.dropped ?? 0} ${s.mqtt.state} ${d?.state ?? 'none'}\n`)
}, 100)
process.once('SIGTERM', () => {
  clearInterval(ticker)
  void forwarder.stop().then((summary) => {
    process.stdout.write(`summary ${JSON.stringify(summary)}\n`)
    process.exit(0)
  })
})
