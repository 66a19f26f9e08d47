/**
 * The least a plain writer must do on disk to give the forwarder's guarantees (disk-queue.ts), for the benchmark's
 * same-durability baselines: one synchronous write per event before it counts as taken (a SIGKILL then cannot lose it),
 * the file flushed to the device every 100 ms off the event loop, and the position of the first event the destination
 * has not confirmed written in place (cursor-file.ts, as the forwarder's queue) every 100 ms when it moved. No segments, no drop-oldest, no reading back:
 * events are sent from memory.
 */
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { CursorWriter } from '../../src-main/core/store/cursor-file'

export interface PlainQueue {
  /** Appends one line; returns the file's length after it (the position `confirm` takes). */
  append(line: Buffer): number
  /** Everything before `end` is at the destination. */
  confirm(end: number): void
  close(): void
}

export function openPlainQueue(dir: string): PlainQueue {
  const fd = openSync(join(dir, 'plain.queue'), 'a')
  const cursor = new CursorWriter(dir)
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
      cursor.write({ segment: 1, offset: confirmed, dropped: 0 })
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
      cursor.close()
    },
  }
}
