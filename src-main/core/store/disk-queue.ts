/**
 * A bounded on-disk queue of items, each written as one line by a codec (`LineCodec`): the historian keeps one per
 * destination (historian/event-queue.ts), the mbed bridge one for the messages it owes the broker
 * (mbed/publish-queue.ts). Every item waits here from intake until its consumer has it.
 *
 * Layout of its directory: segment files `<n>.seg` holding one item per line, written only by appending;
 * `cursor.dat` naming the first item not yet confirmed (segment and byte offset) and the count of items dropped
 * (cursor-file.ts: written in place, not replaced by a rename, which would hold the event loop for milliseconds); a
 * `lock` file with the owner's pid, so that two owners never append to the same files.
 *
 * Why it is built this way:
 * - `append` writes synchronously (one write(2) per item, or per batch of items: `appendLines`). When it returns, the item is in the kernel: killing the
 *   process, even with SIGKILL, cannot lose it. That is what lets an owner acknowledge an item right after handing it
 *   over (the historian's sources, the mbed bridge's next long poll). The files are also flushed to the device
 *   (fdatasync) every `syncIntervalMs`, so a power cut or an operating system crash loses at most that long of
 *   acknowledged items; waiting for the device before every acknowledgement would cap intake at a few hundred items a
 *   second (mqtt.js handles received messages one at a time).
 * - Items are read back in order, a chunk at a time, so memory holds what is being sent, not what is queued. While the
 *   consumer keeps up, an appended item also stays in memory (up to `memoryEvents`) and is not read back from the
 *   file: the disk is written for safety, and read only after a backlog.
 * - The cursor moves only when the consumer has confirmed every item before it, and is written at the next flush
 *   (not at every confirmation: a rename per batch cost more than the items' own writes). Killed before that write,
 *   the queue hands those items out again after the restart (at least once: the historian's event ids, MQTT QoS 1).
 * - Full: the oldest item is dropped and counted (the newest readings matter most, and the disk stays bounded however
 *   long the outage), even one a consumer is retrying: through an outage the oldest items are in the batch the
 *   consumer holds, and sparing them dropped items from the middle, which the cursor (one position) cannot record,
 *   so a restart brought them back over the bound with the counter at 0. The consumer leaves dropped items out of
 *   its next attempt (`wasDropped`); only one already on the wire when dropped may still arrive. A drop is recorded in
 *   the cursor, with the count, at the next flush; killed before that, the dropped item comes back and is delivered
 *   rather than lost.
 * - A line torn by a crash (only the last one can be) is cut off when the queue opens; a line the codec cannot read
 *   is skipped and counted in `corrupt`.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { CursorWriter, readCursor } from './cursor-file'

/**
 * How a queue writes its items: `encode` gives one line, ending with its newline and holding no other (JSON does not);
 * `decode` reads one back (the text without its newline), or gives null for a line it cannot read (a disk error, a
 * line of an older format): the queue then skips it and counts it in `corrupt`.
 */
export interface LineCodec<T> {
  encode(item: T): Buffer
  decode(line: string): T | null
  /** An item's size, for `take`'s `maxBytes`. Default: 0 (only the count limits a batch). */
  weight?(item: T): number
  /** When an item was received (ms since the epoch), for `oldestReceivedAt` and `inspectQueue`. Default: unknown. */
  receivedAt?(item: T): number | null
}

/** A line's JSON object, for a codec's `decode`; null when the line holds none (torn by a crash, unreadable). */
export function lineObject(line: string): Record<string, unknown> | null {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return null
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

export interface DiskQueueOptions<T> {
  dir: string
  codec: LineCodec<T>
  /** The error thrown when another owner (`pid`, 0 when unknown) holds the directory: its owner says who that is. */
  locked: (pid: number, dir: string) => Error
  /** Items held at most, in flight included. */
  capacity: number
  /** A new segment starts past this size. Default 8 MiB. */
  segmentBytes?: number
  /** How often appended data is flushed to the device and a moved cursor written. Default 100 ms. */
  syncIntervalMs?: number
  /** Bytes read from disk at a time. Default 1 MiB (larger than any one line). */
  readChunkBytes?: number
  /** Items kept in memory as they are appended while nothing waits on disk. Default 20,000. */
  memoryEvents?: number
}

/** Items handed out by `take`, to be confirmed (`commit`) or handed back (`release`). */
export interface Taken<T> {
  readonly items: readonly T[]
}

interface Segment {
  n: number
  bytes: number
}

interface Entry<T> {
  seg: number
  start: number
  item: T | null
  taken: boolean
  done: boolean
}

interface TakenBatch<T> extends Taken<T> {
  entries: Entry<T>[]
}

const NEWLINE = 0x0a

const segName = (n: number): string => `${String(n).padStart(12, '0')}.seg`

function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => /^(\d{12})\.seg$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
}

/** Newlines in a file from `offset` on, read in chunks. */
function countLines(path: string, offset: number): number {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    let count = 0
    let at = offset
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, at)
      if (n <= 0) return count
      for (let i = 0; i < n; i++) if (buf[i] === NEWLINE) count++
      at += n
    }
  } finally {
    closeSync(fd)
  }
}

/** Cuts a torn last line off (a write the crash interrupted was never acknowledged). */
function truncateTornTail(path: string): number {
  const fd = openSync(path, 'r+')
  try {
    const size = fstatSync(fd).size
    if (size === 0) return 0
    const buf = Buffer.allocUnsafe(Math.min(size, 1 << 20))
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - buf.length)
      const n = readSync(fd, buf, 0, end - start, start)
      for (let i = n - 1; i >= 0; i--) {
        if (buf[i] === NEWLINE) {
          const keep = start + i + 1
          if (keep !== size) ftruncateSync(fd, keep)
          return keep
        }
      }
      end = start
    }
    ftruncateSync(fd, 0)
    return 0
  } finally {
    closeSync(fd)
  }
}

/** Whether a process with this pid exists (EPERM: it does, and belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Queue directories this process holds: its own pid in a lock file does not tell them from a stale one. */
const openHere = new Set<string>()

function acquireLock(dir: string, locked: (pid: number, dir: string) => Error): void {
  const path = join(dir, 'lock')
  if (openHere.has(dir)) throw locked(process.pid, dir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      openHere.add(dir)
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(readFileSync(path, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw locked(pid, dir)
      }
      // Left by a process that is gone (killed): take it over.
      unlinkSync(path)
    }
  }
  throw locked(0, dir)
}

/** The pid of the live process that holds a queue directory (this one included), or null when none does. */
export function queueHolder(dir: string): number | null {
  if (openHere.has(dir)) return process.pid
  let text: string
  try {
    text = readFileSync(join(dir, 'lock'), 'utf8')
  } catch {
    return null
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid) ? pid : null
}

/**
 * Deletes a queue directory and everything it holds, after taking its lock as an owner would (`locked` is thrown
 * while another holds it): no owner can open it while it goes.
 */
export function removeQueueDir(dir: string, locked: (pid: number, dir: string) => Error): void {
  acquireLock(dir, locked)
  try {
    rmSync(dir, { recursive: true, force: true })
  } finally {
    openHere.delete(dir)
  }
}

export class DiskQueue<T extends object> {
  readonly capacity: number
  private readonly dir: string
  private readonly segmentBytes: number
  private readonly readChunk: number
  private readonly memoryEvents: number
  private readonly codec: LineCodec<T>
  private segments: Segment[] = []
  private tailFd = -1
  private readFd: { seg: number; fd: number } | null = null
  private cursor: { seg: number; offset: number }
  private readPos: { seg: number; offset: number }
  /** Items read from disk and not yet confirmed or dropped, oldest first, from `head`. */
  private window: Entry<T>[] = []
  private head = 0
  /** No entry of the window before this index can be taken: `take` starts here (a consumer with many in flight). */
  private free = 0
  /** Items on disk after `readPos`. */
  private unread = 0
  /** Entries of the window neither confirmed nor dropped. */
  private live = 0
  /** Items dropped while a consumer held them (taken): its retries leave them out. */
  private readonly droppedItems = new WeakSet<T>()
  private droppedTotal: number
  private corruptCount = 0
  private dataDirty = false
  private cursorDirty = false
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly cursorFile: CursorWriter

  private constructor(options: DiskQueueOptions<T>) {
    this.dir = options.dir
    this.capacity = options.capacity
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024
    this.readChunk = options.readChunkBytes ?? 1024 * 1024
    this.memoryEvents = options.memoryEvents ?? 20_000
    this.codec = options.codec
    mkdirSync(this.dir, { recursive: true })
    acquireLock(this.dir, options.locked)
    // No cursor (a new queue, or none a crash left readable): the queue starts at its first segment, and items sent
    // before are handed out again (at least once).
    const saved = readCursor(this.dir)
    this.droppedTotal = saved?.dropped ?? 0
    let numbers = listSegments(this.dir)
    // Segments before the cursor were confirmed; a crash between the cursor's write and their removal leaves them.
    if (saved) {
      for (const n of numbers.filter((n) => n < saved.segment)) unlinkSync(join(this.dir, segName(n)))
      numbers = numbers.filter((n) => n >= saved.segment)
    }
    if (numbers.length === 0) {
      const first = saved?.segment ?? 1
      writeFileSync(join(this.dir, segName(first)), '')
      numbers = [first]
    }
    const lastN = numbers[numbers.length - 1] as number
    truncateTornTail(join(this.dir, segName(lastN)))
    this.segments = numbers.map((n) => ({ n, bytes: fstatSizeOf(join(this.dir, segName(n))) }))
    const firstSeg = this.segments[0] as Segment
    const start = saved && saved.segment === firstSeg.n ? Math.min(saved.offset, firstSeg.bytes) : 0
    this.cursor = { seg: firstSeg.n, offset: start }
    this.readPos = { ...this.cursor }
    for (const s of this.segments) this.unread += countLines(join(this.dir, segName(s.n)), s.n === firstSeg.n ? start : 0)
    this.tailFd = openSync(join(this.dir, segName(lastN)), 'a')
    this.cursorFile = new CursorWriter(this.dir)
    const interval = options.syncIntervalMs ?? 100
    this.timer = setInterval(() => this.flushLater(), interval)
    this.timer.unref?.()
  }

  static open<T extends object>(options: DiskQueueOptions<T>): DiskQueue<T> {
    return new DiskQueue(options)
  }

  /** Items queued, in flight included. */
  get size(): number {
    return this.live + this.unread
  }

  /** Dropped over the queue's whole life (kept across restarts). */
  get dropped(): number {
    return this.droppedTotal
  }

  /** Whether this item, handed out by `take`, was dropped since (the queue was full): a retry leaves it out. */
  wasDropped(item: T): boolean {
    return this.droppedItems.has(item)
  }

  /** Lines that could not be read and were skipped. */
  get corrupt(): number {
    return this.corruptCount
  }

  /** Appends one item, encoded by the queue's codec; when this returns, a crash of the process cannot lose it. */
  push(item: T): void {
    this.append(this.codec.encode(item), item)
  }

  /**
   * Appends one line already encoded by the queue's codec (the historian encodes an event once for all its
   * destinations); when this returns, a crash of the process cannot lose it. `item` is the same item decoded, kept in
   * memory when nothing waits on disk before it.
   */
  append(line: Buffer, item?: T): void {
    this.appendLines([line], item ? [item] : undefined)
  }

  /**
   * Appends lines already encoded by the queue's codec with one write(2) (the historian's messages of one socket
   * read); when this returns, a crash of the process cannot lose any of them. On a failure none of them is counted as
   * queued: the caller must not acknowledge any. `items[i]`, when given, is `lines[i]` decoded. Nothing is handed out
   * (`take`) before it is written: the queue learns of the lines only once the write has returned.
   */
  appendLines(lines: readonly Buffer[], items?: readonly T[]): void {
    if (this.closed) throw new Error('the queue is closed')
    if (lines.length === 0) return
    for (const line of lines) {
      if (line.length === 0 || line.indexOf(NEWLINE) !== line.length - 1) throw new Error('a queue line must end with its only newline')
    }
    const data = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines)
    const tail = this.segments[this.segments.length - 1] as Segment
    let written = 0
    try {
      while (written < data.length) written += writeSync(this.tailFd, data, written, data.length - written)
    } catch (e) {
      // A disk that fills up mid-write leaves part of a line: cut it off, so that the queue stays whole and the owner can
      // append again once the disk takes writes (the file is opened to append: the next write lands at `tail.bytes`).
      if (written > 0) {
        try {
          ftruncateSync(this.tailFd, tail.bytes)
        } catch {
          // Left as it is: the next open cuts a torn last line off (truncateTornTail).
        }
      }
      throw e
    }
    for (let i = 0; i < lines.length; i++) {
      const start = tail.bytes
      tail.bytes += (lines[i] as Buffer).length
      const item = items?.[i]
      const caughtUp = this.unread === 0 && this.readPos.seg === tail.n && this.readPos.offset === start
      if (item && caughtUp && this.live < this.memoryEvents) {
        this.window.push({ seg: tail.n, start, item, taken: false, done: false })
        this.live++
        this.readPos = { seg: tail.n, offset: tail.bytes }
      } else {
        this.unread++
      }
    }
    this.dataDirty = true
    if (this.size > this.capacity) this.dropOldest(this.size - this.capacity)
    if (tail.bytes >= this.segmentBytes) this.rotate()
  }

  /** Up to `max` of the oldest items not already taken (and at most about `maxBytes` of them, by the codec's weight). */
  take(max: number, maxBytes = Infinity): Taken<T> | null {
    const entries = this.takeEntries(max, maxBytes)
    if (entries.length === 0) return null
    const batch: TakenBatch<T> = { entries, items: entries.map((e) => e.item as T) }
    return batch
  }

  /** Up to `max` of the oldest items not already taken, each on its own, to be confirmed or handed back one by one. */
  takeEach(max: number): Taken<T>[] {
    return this.takeEntries(max, Infinity).map((e): TakenBatch<T> => ({ entries: [e], items: [e.item as T] }))
  }

  /** The consumer has these items: they leave the queue (the cursor is written at the next flush). */
  commit(taken: Taken<T>): void {
    for (const e of (taken as TakenBatch<T>).entries) {
      if (e.done) continue
      e.done = true
      e.item = null
      this.live--
    }
    this.advance()
  }

  /** Not delivered: they go back, and the next `take` hands them out first. */
  release(taken: Taken<T>): void {
    for (const e of (taken as TakenBatch<T>).entries) e.taken = false
    this.free = this.head
  }

  /** When the oldest queued item was received (the codec's `receivedAt`), or null when the queue is empty. */
  oldestReceivedAt(): number | null {
    for (let i = this.head; ;) {
      if (i >= this.window.length) {
        // Looked at again after reading: a chunk of unreadable lines adds nothing.
        if (!this.readMore()) return null
        continue
      }
      const e = this.window[i] as Entry<T>
      if (!e.done && e.item) return this.codec.receivedAt?.(e.item) ?? null
      i++
    }
  }

  /** Flushes appended items to the device and writes the cursor, now. */
  flush(): void {
    if (this.closed) return
    if (this.dataDirty) {
      fdatasyncSync(this.tailFd)
      this.dataDirty = false
    }
    if (this.cursorDirty) this.writeCursor()
  }

  close(): void {
    if (this.closed) return
    try {
      this.flush()
    } catch {
      // A disk that refuses the flush (full, read-only) must not keep the files open and the lock held: the items are
      // in the kernel already, and the cursor is read back as it was last written (at least once).
    }
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    closeSync(this.tailFd)
    this.cursorFile.close()
    if (this.readFd) closeSync(this.readFd.fd)
    this.readFd = null
    openHere.delete(this.dir)
    try {
      unlinkSync(join(this.dir, 'lock'))
    } catch {
      // Already gone: nothing to release.
    }
  }

  // ---- internals -----------------------------------------------------------------------------------------------------

  private takeEntries(max: number, maxBytes: number): Entry<T>[] {
    const entries: Entry<T>[] = []
    let bytes = 0
    let i = Math.max(this.head, this.free)
    while (entries.length < max) {
      if (i >= this.window.length) {
        if (!this.readMore()) break
        // Looked at again: a chunk of unreadable lines adds nothing, and `i` must not run past the end.
        continue
      }
      const e = this.window[i] as Entry<T>
      if (e.taken || e.done || !e.item) {
        i++
        continue
      }
      const weight = this.codec.weight?.(e.item) ?? 0
      if (entries.length > 0 && bytes + weight > maxBytes) break
      e.taken = true
      bytes += weight
      entries.push(e)
      i++
    }
    // Everything before where the scan stopped is taken or gone (a batch cut short by maxBytes stops at an entry it left).
    this.free = i
    return entries
  }

  private flushLater(): void {
    if (this.closed) return
    if (this.dataDirty) {
      this.dataDirty = false
      // Off the event loop: intake goes on while the device catches up. An error here has nowhere better to go than
      // the next flush, which tries again.
      fdatasync(this.tailFd, (e) => {
        if (e) this.dataDirty = true
      })
    }
    if (this.cursorDirty) {
      try {
        this.writeCursor()
      } catch {
        // A disk that refuses the cursor (full, read-only) is tried again at the next flush; the cursor stays dirty, and
        // a restart meanwhile hands the confirmed items out again (at least once).
      }
    }
  }

  private rotate(): void {
    const n = (this.segments[this.segments.length - 1] as Segment).n + 1
    let fd: number
    try {
      fdatasyncSync(this.tailFd)
      fd = openSync(join(this.dir, segName(n)), 'a')
    } catch {
      // The disk refuses the next segment (full, read-only): the items are written already, so the tail stays the
      // current segment, a little longer than planned, and the next append tries again.
      return
    }
    this.dataDirty = false
    closeSync(this.tailFd)
    const old = this.segments[this.segments.length - 1] as Segment
    this.segments.push({ n, bytes: 0 })
    this.tailFd = fd
    if (this.readPos.seg === old.n && this.readPos.offset === old.bytes) this.readPos = { seg: n, offset: 0 }
  }

  private segment(n: number): Segment | undefined {
    return this.segments.find((s) => s.n === n)
  }

  /** Reads the next chunk of lines into the window; false when nothing more is on disk. */
  private readMore(): boolean {
    while (this.unread > 0) {
      const seg = this.segment(this.readPos.seg)
      if (!seg) {
        // Read to its end and then deleted as delivered: reading goes on at the start of the next segment.
        const later = this.segments.find((x) => x.n > this.readPos.seg)
        if (!later) return false
        this.readPos = { seg: later.n, offset: 0 }
        continue
      }
      if (this.readPos.offset >= seg.bytes) {
        const next = this.segments[this.segments.indexOf(seg) + 1]
        if (!next) return false
        this.readPos = { seg: next.n, offset: 0 }
        continue
      }
      if (!this.readFd || this.readFd.seg !== seg.n) {
        if (this.readFd) closeSync(this.readFd.fd)
        this.readFd = { seg: seg.n, fd: openSync(join(this.dir, segName(seg.n)), 'r') }
      }
      const length = Math.min(this.readChunk, seg.bytes - this.readPos.offset)
      const buf = Buffer.allocUnsafe(length)
      const n = readSync(this.readFd.fd, buf, 0, length, this.readPos.offset)
      const lastNewline = buf.lastIndexOf(NEWLINE, n - 1)
      if (lastNewline < 0) {
        // Only a line longer than a chunk gets here (never one the historian wrote); skip to its end.
        this.skipLongLine(seg)
        continue
      }
      let lineStart = 0
      for (let i = buf.indexOf(NEWLINE, 0); i >= 0 && i <= lastNewline; i = buf.indexOf(NEWLINE, i + 1)) {
        const item = this.codec.decode(buf.toString('utf8', lineStart, i))
        this.unread--
        if (item) {
          this.window.push({ seg: seg.n, start: this.readPos.offset + lineStart, item, taken: false, done: false })
          this.live++
        } else {
          this.corruptCount++
        }
        lineStart = i + 1
      }
      this.readPos = { seg: seg.n, offset: this.readPos.offset + lastNewline + 1 }
      return true
    }
    return false
  }

  private skipLongLine(seg: Segment): void {
    const buf = Buffer.allocUnsafe(this.readChunk)
    let at = this.readPos.offset
    for (;;) {
      const n = readSync((this.readFd as { fd: number }).fd, buf, 0, Math.min(buf.length, seg.bytes - at), at)
      if (n <= 0) {
        this.readPos = { seg: seg.n, offset: seg.bytes }
        return
      }
      const nl = buf.indexOf(NEWLINE)
      if (nl >= 0 && nl < n) {
        this.readPos = { seg: seg.n, offset: at + nl + 1 }
        this.unread--
        this.corruptCount++
        return
      }
      at += n
    }
  }

  private dropOldest(count: number): void {
    let left = count
    for (let i = this.head; left > 0;) {
      if (i >= this.window.length) {
        // Looked at again after reading: a chunk of unreadable lines adds nothing.
        if (!this.readMore()) break
        continue
      }
      const e = this.window[i] as Entry<T>
      i++
      if (e.done) continue
      if (e.taken && e.item) this.droppedItems.add(e.item)
      e.done = true
      e.item = null
      this.live--
      this.droppedTotal++
      left--
    }
    // The count is in the cursor file: written at the next flush even when the front did not move.
    this.cursorDirty = true
    this.advance()
  }

  /** Moves the cursor past confirmed and dropped items at the front; the next flush writes it. */
  private advance(): void {
    while (this.head < this.window.length && (this.window[this.head] as Entry<T>).done) this.head++
    if (this.head > 4096 && this.head * 2 > this.window.length) {
      this.window = this.window.slice(this.head)
      this.free = Math.max(0, this.free - this.head)
      this.head = 0
    }
    const front = this.window[this.head]
    const next = this.normalised(front ? { seg: front.seg, offset: front.start } : { ...this.readPos })
    if (next.seg === this.cursor.seg && next.offset === this.cursor.offset) return
    this.cursor = next
    this.cursorDirty = true
  }

  /** The end of a full segment is the start of the next one: the cursor then lets the full one go. */
  private normalised(pos: { seg: number; offset: number }): { seg: number; offset: number } {
    let p = pos
    for (;;) {
      const i = this.segments.findIndex((s) => s.n === p.seg)
      const seg = this.segments[i]
      const next = this.segments[i + 1]
      if (!seg || !next || p.offset < seg.bytes) return p
      p = { seg: next.n, offset: 0 }
    }
  }

  private writeCursor(): void {
    this.cursorFile.write({ segment: this.cursor.seg, offset: this.cursor.offset, dropped: this.droppedTotal })
    this.cursorDirty = false
    // Segments wholly before the cursor are confirmed: their space goes back to the disk.
    while (this.segments.length > 1 && (this.segments[0] as Segment).n < this.cursor.seg) {
      const gone = this.segments.shift() as Segment
      if (this.readFd?.seg === gone.n) {
        closeSync(this.readFd.fd)
        this.readFd = null
      }
      unlinkSync(join(this.dir, segName(gone.n)))
    }
  }
}

function fstatSizeOf(path: string): number {
  const fd = openSync(path, 'r')
  try {
    return fstatSync(fd).size
  } finally {
    closeSync(fd)
  }
}

/**
 * What a queue directory holds, read without taking it over (for `fieldline historian status` while no forwarder runs,
 * or one runs in another process): queued items, items dropped, and when the oldest queued one was received.
 */
export function inspectQueue<T>(dir: string, codec: LineCodec<T>): { queued: number; dropped: number; oldestReceivedAt: number | null } | null {
  if (!existsSync(dir)) return null
  const saved = readCursor(dir)
  const numbers = listSegments(dir).filter((n) => !saved || n >= saved.segment)
  let queued = 0
  let oldest: number | null = null
  for (const n of numbers) {
    const path = join(dir, segName(n))
    const from = saved && n === saved.segment ? saved.offset : 0
    queued += countLines(path, from)
    if (oldest === null) oldest = firstReceivedAt(path, from, codec)
  }
  return { queued, dropped: saved?.dropped ?? 0, oldestReceivedAt: oldest }
}

/**
 * The items a queue directory holds past its cursor, read without taking it over; a line the codec cannot read and a
 * torn last line are left out, as opening the queue leaves them. All of them in memory at once: for a small queue (the
 * mbed bridge's early answers, at most its pending commands), not for a publish queue.
 */
export function readQueued<T>(dir: string, codec: LineCodec<T>): T[] {
  if (!existsSync(dir)) return []
  const saved = readCursor(dir)
  const items: T[] = []
  for (const n of listSegments(dir).filter((n) => !saved || n >= saved.segment)) {
    const bytes = readFileSync(join(dir, segName(n)))
    const from = saved && n === saved.segment ? saved.offset : 0
    const end = bytes.lastIndexOf(NEWLINE) + 1
    for (const line of bytes.toString('utf8', Math.min(from, end), end).split('\n')) {
      const item = line ? codec.decode(line) : null
      if (item !== null) items.push(item)
    }
  }
  return items
}

function firstReceivedAt<T>(path: string, offset: number, codec: LineCodec<T>): number | null {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    const n = readSync(fd, buf, 0, buf.length, offset)
    const nl = buf.indexOf(NEWLINE)
    if (n <= 0 || nl < 0 || nl >= n) return null
    const item = codec.decode(buf.toString('utf8', 0, nl))
    return item === null ? null : (codec.receivedAt?.(item) ?? null)
  } finally {
    closeSync(fd)
  }
}
