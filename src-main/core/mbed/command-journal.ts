/**
 * MQTT commands the bridge has taken from the broker and not yet handed to mbed, on disk in `<queue dir>/commands/`
 * (store/disk-queue.ts). The bridge's MQTT session is persistent (session.ts), so a command is the broker's until the
 * bridge acknowledges it (PUBACK) and the bridge's from then on: it must neither be lost nor sent to mbed twice.
 *
 * - `take` writes the command (its topic and raw payload) before it returns, i.e. before the PUBACK leaves: a kill,
 *   even SIGKILL, cannot lose it after that. A disk that refuses it throws, and the link then leaves the message
 *   unacknowledged (the broker delivers it again on the next connection).
 * - `sending` writes that the command is about to go to mbed, before the request leaves; `done` that mbed's answer
 *   (accepted, refused, unreachable) is in. A command the journal shows taken but not sending was never sent: the next
 *   start sends it. One sending but not done may have reached mbed: the next start reports it (an unknown outcome,
 *   never sent again: a command is not idempotent, a PUT may drive an actuator).
 * - Lines are settled in any order, but the journal's cursor records only a settled prefix; as in early-answers.ts, a
 *   later line naming the id says what became of a command, and `open` reads them together. A `done` line the disk
 *   refused makes that command read as sending at the next start: reported, never sent twice.
 * - The directory is in the bridge's queue directory, already locked by the publish queue; the journal takes its own
 *   lock as well.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { DiskQueue, lineObject, readQueued, type LineCodec, type Taken } from '../store/disk-queue'
import { locked } from './publish-queue'

/** A command as the broker delivered it, under the journal's id. */
export interface JournalCommand {
  id: string
  topic: string
  payload: Buffer
  at: number
}

type JournalItem = { command: JournalCommand } | { sending: string; at: number } | { done: string; at: number }

export const journalItemCodec: LineCodec<JournalItem> = {
  encode(item) {
    const line = 'command' in item ? { id: item.command.id, t: item.command.topic, p: item.command.payload.toString('base64'), at: item.command.at } : item
    return Buffer.from(`${JSON.stringify(line)}\n`, 'utf8')
  },
  decode(line) {
    const o = lineObject(line)
    if (!o || typeof o.at !== 'number') return null
    if (typeof o.sending === 'string') return { sending: o.sending, at: o.at }
    if (typeof o.done === 'string') return { done: o.done, at: o.at }
    if (typeof o.id !== 'string' || typeof o.t !== 'string' || typeof o.p !== 'string') return null
    return { command: { id: o.id, topic: o.t, payload: Buffer.from(o.p, 'base64'), at: o.at } }
  },
  receivedAt: (item) => ('command' in item ? item.command.at : item.at),
}

export function commandJournalDir(queueDir: string): string {
  return join(queueDir, 'commands')
}

/**
 * The commands the journal of the queue in `queueDir` still holds (taken from the broker, not done), read without
 * taking it over (a running bridge may hold it): what `bridge mbed queues` shows and what removing the queue drops.
 * `oldestAt`: when the broker delivered the oldest of them (epoch ms), or null when there is none.
 */
export function journalledCommands(queueDir: string): { count: number; oldestAt: number | null } {
  const held = new Map<string, number>()
  for (const item of readQueued(commandJournalDir(queueDir), journalItemCodec)) {
    if ('command' in item) held.set(item.command.id, item.command.at)
    else if ('done' in item) held.delete(item.done)
  }
  let oldestAt: number | null = null
  for (const at of held.values()) oldestAt = oldestAt === null ? at : Math.min(oldestAt, at)
  return { count: held.size, oldestAt }
}

/** What a previous run left: commands never sent (to send now) and commands that may have reached mbed (to report). */
export interface JournalLeft {
  unsent: JournalCommand[]
  unknown: JournalCommand[]
}

export class CommandJournal {
  private disk: DiskQueue<JournalItem> | null = null
  /** By id: the lines the journal holds for each command not done yet. */
  private readonly held = new Map<string, Taken<JournalItem>[]>()

  constructor(private readonly o: { dir: string; capacity: number; syncIntervalMs?: number }) {}

  get isOpen(): boolean {
    return this.disk !== null
  }

  /** Opens the journal and reads what a previous run left; each of those stays held until `done`. */
  open(): JournalLeft {
    if (this.disk) return { unsent: [], unknown: [] }
    const disk = DiskQueue.open<JournalItem>({
      dir: this.o.dir,
      codec: journalItemCodec,
      locked,
      capacity: this.o.capacity,
      ...(this.o.syncIntervalMs ? { syncIntervalMs: this.o.syncIntervalMs } : {}),
    })
    this.disk = disk
    const commands = new Map<string, { command: JournalCommand; sending: boolean; lines: Taken<JournalItem>[] }>()
    const settled: Taken<JournalItem>[] = []
    for (const taken of disk.takeEach(disk.size)) {
      const item = taken.items[0] as JournalItem
      if ('command' in item) {
        commands.set(item.command.id, { command: item.command, sending: false, lines: [taken] })
        continue
      }
      settled.push(taken)
      const c = commands.get('sending' in item ? item.sending : item.done)
      if (!c) continue
      if ('done' in item) {
        commands.delete(item.done)
        settled.push(...c.lines)
      } else {
        c.sending = true
      }
    }
    // What the last run settled leaves the journal now; the rest is held as this run's own.
    for (const t of settled) disk.commit(t)
    const left: JournalLeft = { unsent: [], unknown: [] }
    for (const c of commands.values()) {
      this.held.set(c.command.id, c.lines)
      ;(c.sending ? left.unknown : left.unsent).push(c.command)
    }
    return left
  }

  /** Writes a command the broker delivered; when this returns, a kill cannot lose it. Throws when the disk refuses it. */
  take(topic: string, payload: Buffer): JournalCommand {
    const command: JournalCommand = { id: randomUUID(), topic, payload, at: Date.now() }
    this.held.set(command.id, [this.write({ command })])
    return command
  }

  /** Before the command goes to mbed. Throws when the disk refuses it: the command must not be sent then. */
  sending(id: string): void {
    const lines = this.held.get(id)
    if (!lines) return
    lines.push(this.write({ sending: id, at: Date.now() }))
  }

  /** mbed answered (or the command was refused before it went): the command leaves the journal. */
  done(id: string): void {
    const lines = this.held.get(id)
    if (!lines) return
    this.held.delete(id)
    const disk = this.disk
    if (!disk) return
    for (const t of lines) disk.commit(t)
    try {
      disk.commit(this.write({ done: id, at: Date.now() }))
    } catch {
      // Not written (disk full): the command reads as sending at the next start, reported there (see the header).
    }
  }

  /** Closes the journal; what it holds stays on disk for the next start. */
  close(): void {
    this.held.clear()
    this.disk?.close()
    this.disk = null
  }

  private write(item: JournalItem): Taken<JournalItem> {
    const disk = this.disk
    if (!disk) throw new Error('the command journal is not open')
    disk.push(item)
    const [taken] = disk.takeEach(1)
    if (!taken) throw new Error('the command journal lost a line it wrote')
    return taken
  }
}
