/**
 * The least a plain writer must do on disk to give the forwarder's guarantees (disk-queue.ts), for the benchmark's
 * same-durability baselines: one synchronous write per event before it counts as taken (a SIGKILL then cannot lose it),
 * the file flushed to the device every 100 ms off the event loop, and the position of the first event the destination
 * has not confirmed written (write and rename) every 100 ms when it moved. No segments, no drop-oldest, no reading back:
 * events are sent from memory.
 */
import { closeSync, fdatasync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface PlainQueue {
  /** Appends one line; returns the file's length after it (the position `confirm` takes). */
  append(line: Buffer): number
  /** Everything before `end` is at the destination. */
  confirm(end: number): void
  close(): void
}

export function openPlainQueue(dir: string): PlainQueue {
  const fd = openSync(join(dir, 'plain.queue'), 'a')
  let length = 0
  let dirty = false
  let confirmed = 0
  let confirmedWritten = 0
  const timer = setInterval(() => {
    if (dirty) {
      dirty = false
      fdatasync(fd, () => undefined)
    }
    if (confirmed !== confirmedWritten) {
      writeFileSync(join(dir, 'cursor.tmp'), JSON.stringify({ offset: confirmed }))
      renameSync(join(dir, 'cursor.tmp'), join(dir, 'cursor.json'))
      confirmedWritten = confirmed
    }
  }, 100)
  return {
    append(line) {
      let n = 0
      while (n < line.length) n += writeSync(fd, line, n, line.length - n)
      length += line.length
      dirty = true
      return length
    },
    confirm(end) {
      confirmed = Math.max(confirmed, end)
    },
    close() {
      clearInterval(timer)
      closeSync(fd)
    },
  }
}
