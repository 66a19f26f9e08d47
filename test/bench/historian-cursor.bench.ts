/**
 * Benchmark (prints figures, asserts nothing): what writing a queue's cursor costs on the event loop, next to a stream of
 * appends as the forwarder makes them — by replacing a file (write a temporary file, rename it over the old one: what
 * the queue did before cursor-file.ts) and in place (cursor-file.ts). Each round appends 1,000 event-sized lines with one
 * synchronous write each, then writes the cursor once and times that write alone.
 *
 *   node --import tsx test/bench/historian-cursor.bench.ts      (or: npm run bench -- historian-cursor)
 */
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { CursorWriter } from '../../src-main/core/store/cursor-file'

const ROUNDS = 200
const dir = mkdtempSync(join(tmpdir(), 'fieldline-bench-cursor-'))
const line = Buffer.alloc(250, 'x')
line[249] = 0x0a

function measure(name: string, writeCursor: (offset: number) => void): void {
  const fd = openSync(join(dir, `${name}.seg`), 'a')
  const times: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < 1000; k++) writeSync(fd, line)
    const started = performance.now()
    writeCursor(round * 1000 * line.length)
    times.push(performance.now() - started)
  }
  closeSync(fd)
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  console.log(`cursor ${name}: mean ${mean.toFixed(3)} ms, worst ${Math.max(...times).toFixed(2)} ms over ${ROUNDS} writes (load ${(loadavg()[0] ?? 0).toFixed(1)})`)
}

try {
  measure('replaced by a rename', (offset) => {
    writeFileSync(join(dir, 'cursor.json.tmp'), JSON.stringify({ segment: 1, offset, dropped: 0 }))
    renameSync(join(dir, 'cursor.json.tmp'), join(dir, 'cursor.json'))
  })
  const cursor = new CursorWriter(dir)
  measure('written in place (cursor-file.ts)', (offset) => cursor.write({ segment: 1, offset, dropped: 0 }))
  cursor.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
