/**
 * A destination's queue: the generic on-disk queue (store/disk-queue.ts) holding historian events, one per line in the
 * format of event.ts. Every event waits here from intake until the destination has it.
 */
import { AppError } from '../common/errors'
import { DiskQueue, inspectQueue, type DiskQueueOptions, type LineCodec, type Taken } from '../store/disk-queue'
import { decodeEvent, encodeEvent, type HistorianEvent } from './event'

export type EventQueue = DiskQueue<HistorianEvent>
export type TakenEvents = Taken<HistorianEvent>

/** Batches are bounded by their payloads' size; the oldest event's time is the status's "oldest queued". */
export const eventCodec: LineCodec<HistorianEvent> = {
  encode: encodeEvent,
  decode: decodeEvent,
  weight: (e) => e.payload.length,
  receivedAt: (e) => e.receivedAt,
}

function locked(pid: number, dir: string): AppError {
  if (pid === 0) return AppError.withRef('CONFLICT', `The queue in ${dir} is locked`, { key: 'historian.queueLocked', params: { pid: 0 } })
  return AppError.withRef('CONFLICT', `Another forwarder (process ${pid}) is using the queue in ${dir}`, { key: 'historian.queueLocked', params: { pid } })
}

export function openEventQueue(options: Omit<DiskQueueOptions<HistorianEvent>, 'codec' | 'locked'>): EventQueue {
  return DiskQueue.open({ ...options, codec: eventCodec, locked })
}

/** What a destination's queue directory holds, read without taking it over (`fieldline historian status`). */
export function inspectEventQueue(dir: string): ReturnType<typeof inspectQueue> {
  return inspectQueue(dir, eventCodec)
}
