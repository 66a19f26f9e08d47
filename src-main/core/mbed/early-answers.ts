/**
 * Async responses that arrived before the 202 that tells the bridge their async id (pending-commands.ts: legacy form,
 * two connections), held on disk while they wait for it. The channel has handed them over, and mbed has forgotten
 * them (its next poll acknowledged them), so, like every notification (publish-queue.ts), they must survive a kill.
 *
 * - A journal in `<queue dir>/early/` (store/disk-queue.ts): `hold` writes the answer before it returns (one write(2):
 *   a kill, even SIGKILL, cannot lose it after that); it leaves the journal (`settle`) once it was claimed or
 *   published, i.e. once the publish queue has it on disk. Killed between the two, it comes again (at least once).
 * - Answers are settled in any order, but the journal's cursor records only a settled prefix: an answer still held
 *   keeps every later one on disk. So `settle` also writes a line naming the settled id, and `open` leaves out an
 *   answer a later line says was settled (that line, written after the answer, is always read with it). A settled
 *   line that could not be written (disk full) lets that answer come again after a restart, as unmatched.
 * - What a previous run left can no longer be claimed: the commands and subscriptions that would claim it lived in
 *   that process. `open` hands those answers back for the unmatched rule (published when the legacy id names ep and
 *   path, else counted and logged), as a live bridge does with an answer whose 202 never came.
 * - The bridge's queue directory is already locked by its publish queue; the journal takes its own lock as well.
 */
import { join } from 'node:path'
import { DiskQueue, lineObject, readQueued, type LineCodec, type Taken } from '../store/disk-queue'
import type { MbedAsyncResponse } from './envelope'
import { locked } from './publish-queue'

/** A held answer, or the note that the answer with this id was settled. */
type EarlyItem = { answer: MbedAsyncResponse; at: number } | { settled: string; at: number }

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>))

export const earlyItemCodec: LineCodec<EarlyItem> = {
  encode: (item) => Buffer.from(`${JSON.stringify(item)}\n`, 'utf8'),
  decode(line) {
    const o = lineObject(line)
    if (!o || typeof o.at !== 'number') return null
    if (typeof o.settled === 'string') return { settled: o.settled, at: o.at }
    const a = o.answer as Record<string, unknown> | undefined
    if (!a || typeof a.id !== 'string' || typeof a.status !== 'number') return null
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
    const answer: MbedAsyncResponse = {
      id: a.id,
      status: a.status,
      ...optional('payload', str(a.payload)),
      ...optional('ct', str(a.ct)),
      ...optional('maxAge', typeof a.maxAge === 'number' ? a.maxAge : undefined),
      ...optional('error', str(a.error)),
    }
    return { answer, at: o.at }
  },
  receivedAt: (item) => item.at,
}

export function earlyAnswersDir(queueDir: string): string {
  return join(queueDir, 'early')
}

export interface EarlyAnswer {
  answer: MbedAsyncResponse
  at: number
}

/** The answers a journal still holds: in journal order, a settled line removes the answer written before it under that id. */
function stillHeld(items: readonly EarlyItem[]): Map<string, EarlyAnswer> {
  const held = new Map<string, EarlyAnswer>()
  for (const i of items) {
    if ('settled' in i) held.delete(i.settled)
    else held.set(i.answer.id, i)
  }
  return held
}

/**
 * How many answers the early journal of the queue in `queueDir` holds, read without taking it over (a running bridge
 * may hold it): what `bridge mbed queues` shows and what removing the queue deletes with its messages.
 */
export function countEarlyAnswers(queueDir: string): number {
  return stillHeld(readQueued(earlyAnswersDir(queueDir), earlyItemCodec)).size
}

export class EarlyAnswers {
  private disk: DiskQueue<EarlyItem> | null = null
  /** By async id, oldest first: the in-memory view of what the journal holds. */
  private readonly held = new Map<string, EarlyAnswer & { taken: Taken<EarlyItem> }>()

  constructor(private readonly o: { dir: string; capacity: number; syncIntervalMs?: number }) {}

  get size(): number {
    return this.held.size
  }

  /** Opens the journal; returns what a previous run left, each to be published or logged, then `settleLeft`. */
  open(): { left: EarlyAnswer[]; settleLeft: () => void } {
    if (!this.disk) {
      this.disk = DiskQueue.open<EarlyItem>({ dir: this.o.dir, codec: earlyItemCodec, locked, capacity: this.o.capacity, ...(this.o.syncIntervalMs ? { syncIntervalMs: this.o.syncIntervalMs } : {}) })
    }
    const disk = this.disk
    const taken = disk.takeEach(disk.size)
    const left = stillHeld(taken.flatMap((t) => t.items))
    return {
      left: [...left.values()],
      settleLeft: () => {
        for (const t of taken) disk.commit(t)
      },
    }
  }

  /** Writes the answer to the journal; when this returns, a kill cannot lose it. Throws when the disk refuses it. */
  hold(answer: MbedAsyncResponse, at: number): void {
    const disk = this.disk
    if (!disk) throw new Error('the early answers journal is not open')
    // A second answer under the same id replaces the first, as the map does.
    this.settle(answer.id)
    disk.push({ answer, at })
    const [taken] = disk.takeEach(1)
    if (taken) this.held.set(answer.id, { answer, at, taken })
  }

  get(asyncId: string): EarlyAnswer | undefined {
    return this.held.get(asyncId)
  }

  /** The oldest held answers first. */
  entries(): IterableIterator<[string, EarlyAnswer]> {
    return this.held.entries()
  }

  /** The answer was claimed or published (the publish queue has it on disk): it leaves the journal. */
  settle(asyncId: string): void {
    const e = this.held.get(asyncId)
    if (!e) return
    this.held.delete(asyncId)
    const disk = this.disk
    if (!disk) return
    disk.commit(e.taken)
    try {
      disk.push({ settled: asyncId, at: Date.now() })
      for (const t of disk.takeEach(1)) disk.commit(t)
    } catch {
      // Not written (disk full): the answer may come again after a restart (see the header).
    }
  }

  /** Closes the journal; what it still holds stays on disk for the next start. */
  close(): void {
    this.held.clear()
    this.disk?.close()
    this.disk = null
  }
}
