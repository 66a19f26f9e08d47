/**
 * The command journal (src-main/core/mbed/command-journal.ts): what a run leaves for the next one — commands never
 * sent (sent then), commands that may have reached mbed (reported, never sent twice), none of those done — and the
 * bridge's own MQTT client id (session.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CommandJournal } from '../../src-main/core/mbed/command-journal'
import { bridgeClientId } from '../../src-main/core/mbed/session'
import { checkClientId } from '../../src-shared/models/transport-rules'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function journalIn(dir: string): CommandJournal {
  return new CommandJournal({ dir, capacity: 100 })
}

const topic = (n: number): string => `iot-2/type/Light/id/node-${n}/cmd/update/fmt/json`

describe('command journal', () => {
  it('leaves the next run the commands never sent, and those that may have reached mbed apart; done ones are gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-commands-'))
    dirs.push(dir)
    const first = journalIn(dir)
    expect(first.open()).toEqual({ unsent: [], unknown: [] })
    const done = first.take(topic(1), Buffer.from('{"a":1}'))
    const sending = first.take(topic(2), Buffer.from('{"a":2}'))
    const unsent = first.take(topic(3), Buffer.from('{"a":3}'))
    first.sending(done.id)
    first.done(done.id)
    first.sending(sending.id)
    // Killed here: close() writes nothing of its own, what is on disk is what the kill would leave.
    first.close()

    const second = journalIn(dir)
    const left = second.open()
    expect(left.unsent.map((c) => [c.id, c.topic, c.payload.toString()])).toEqual([[unsent.id, topic(3), '{"a":3}']])
    expect(left.unknown.map((c) => c.id)).toEqual([sending.id])
    // The next run settles them: reported or sent, they are done.
    second.done(sending.id)
    second.sending(unsent.id)
    second.done(unsent.id)
    second.close()

    const third = journalIn(dir)
    expect(third.open()).toEqual({ unsent: [], unknown: [] })
    third.close()
  })

  it('refuses to take a command while closed (the intake then leaves it unacknowledged)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-commands-'))
    dirs.push(dir)
    const journal = journalIn(dir)
    expect(journal.isOpen).toBe(false)
    expect(() => journal.take(topic(1), Buffer.from('{}'))).toThrow(/not open/)
  })
})

describe('bridge client id', () => {
  it('is the profile’s org and application id with a tag of the queue directory: stable, one per queue, always a valid a: id', () => {
    const a = bridgeClientId('a:myorg:console', '/data/mbed/queues/profile-one')
    expect(a).toMatch(/^a:myorg:console-[0-9a-f]{8}$/)
    expect(bridgeClientId('a:myorg:console', '/data/mbed/queues/profile-one')).toBe(a)
    expect(bridgeClientId('a:myorg:console', '/data/mbed/queues/profile-two')).not.toBe(a)
    // A scalable id would share the commands between instances: the bridge's is a plain application id.
    const long = bridgeClientId(`A:myorg:${'x'.repeat(36)}:inst`, '/data/mbed/queues/env-1')
    expect(long.startsWith('a:myorg:')).toBe(true)
    expect(checkClientId(long).ok).toBe(true)
  })
})
