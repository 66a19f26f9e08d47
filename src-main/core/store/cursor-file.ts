/**
 * A queue's cursor on disk (disk-queue.ts): the first item not yet confirmed (segment, byte offset) and the count of
 * items dropped, rewritten in place ten times a second while items flow.
 *
 * Why in place, in two slots: replacing a file by a rename (write a temporary file, rename it over the old one) costs
 * milliseconds on ext4 — it starts writing the new file's data out before the rename — and sometimes a hundred, all of it
 * on the event loop, where it holds up the intake and its acknowledgements. Overwriting a few bytes of an open file costs
 * microseconds. A write in place is not atomic, so the file has two fixed-size slots written in turn, each with a
 * generation and a checksum: a write a crash tears, or a reader in another process (`historian status`) catches
 * half-done, spoils only the slot being written, and the other still holds the previous cursor (older: its items are
 * handed out again: at least once). No valid slot at all reads as no cursor: the queue then starts at its first
 * segment, which loses nothing either.
 *
 * Queues written before this format kept `cursor.json` (replaced by rename); it is read when no slot is valid, and
 * removed once the new file has been written.
 */
import { closeSync, constants, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'

export interface Cursor {
  segment: number
  offset: number
  dropped: number
}

const FILE = 'cursor.dat'
const LEGACY = 'cursor.json'
/** Room for the longest slot: four integers of at most 16 digits, keys and a checksum. */
const SLOT = 128

interface Slot extends Cursor {
  generation: number
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function body(s: Slot): string {
  return JSON.stringify({ g: s.generation, segment: s.segment, offset: s.offset, dropped: s.dropped })
}

function parseSlot(text: string): Slot | null {
  try {
    const v = JSON.parse(text) as { g?: unknown; segment?: unknown; offset?: unknown; dropped?: unknown; c?: unknown }
    if (!isCount(v.g) || !isCount(v.segment) || !isCount(v.offset) || !isCount(v.dropped) || !isCount(v.c)) return null
    const slot: Slot = { generation: v.g, segment: v.segment, offset: v.offset, dropped: v.dropped }
    return crc32(body(slot)) === v.c ? slot : null
  } catch {
    return null
  }
}

function readSlots(dir: string): Slot | null {
  let fd: number
  try {
    fd = openSync(join(dir, FILE), 'r')
  } catch {
    return null
  }
  try {
    const buf = Buffer.alloc(2 * SLOT)
    const n = readSync(fd, buf, 0, buf.length, 0)
    let best: Slot | null = null
    for (let i = 0; i < 2; i++) {
      if (n < (i + 1) * SLOT) break
      const slot = parseSlot(buf.toString('utf8', i * SLOT, (i + 1) * SLOT).trim())
      if (slot && (!best || slot.generation > best.generation)) best = slot
    }
    return best
  } finally {
    closeSync(fd)
  }
}

function readLegacy(dir: string): Cursor | null {
  try {
    const v = JSON.parse(readFileSync(join(dir, LEGACY), 'utf8')) as Partial<Cursor>
    if (isCount(v.segment) && isCount(v.offset) && isCount(v.dropped)) return { segment: v.segment, offset: v.offset, dropped: v.dropped }
  } catch {
    // No cursor of the old format either.
  }
  return null
}

/** The saved cursor, or null (a new queue, or no slot a crash left readable). Reads without changing anything. */
export function readCursor(dir: string): Cursor | null {
  const slot = readSlots(dir)
  if (slot) return { segment: slot.segment, offset: slot.offset, dropped: slot.dropped }
  return readLegacy(dir)
}

/** Writes a queue's cursor in place, each time into the slot not holding the latest one. */
export class CursorWriter {
  private readonly fd: number
  private generation: number
  private legacy: boolean

  constructor(private readonly dir: string) {
    this.generation = readSlots(dir)?.generation ?? 0
    this.legacy = readLegacy(dir) !== null
    // Read-write, created when missing, and not in append mode (which would ignore the slot's position).
    this.fd = openSync(join(dir, FILE), constants.O_RDWR | constants.O_CREAT)
  }

  write(cursor: Cursor): void {
    const slot: Slot = { generation: this.generation + 1, ...cursor }
    const text = JSON.stringify({ g: slot.generation, segment: slot.segment, offset: slot.offset, dropped: slot.dropped, c: crc32(body(slot)) })
    const buf = Buffer.alloc(SLOT, ' ')
    buf.write(text, 0, 'utf8')
    buf[SLOT - 1] = 0x0a
    let written = 0
    const at = (slot.generation % 2) * SLOT
    while (written < SLOT) written += writeSync(this.fd, buf, written, SLOT - written, at + written)
    this.generation = slot.generation
    if (this.legacy) {
      // The new file now holds the cursor: the old one must not be read again in its place.
      unlinkSync(join(this.dir, LEGACY))
      this.legacy = false
    }
  }

  close(): void {
    closeSync(this.fd)
  }
}
