import { spawnSync } from 'node:child_process'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { selfSignedCert } from '../helpers/mosquitto'
import type { EventName } from '../../src-shared/contract'
import type { OrangeTicket } from '../../src-shared/models/orange'
import { ORANGE_DEFAULT_BASE_URL } from '../../src-shared/models/profiles'
import { createOrangeClient } from '../../src-main/core/carriers/orange/orange.client'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { missingService } from '../helpers/system'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const PASSWORD = 'orange-test-password-Kq7'
const FAST = { minMs: 40, maxMs: 150 }
const noOpenssl = missingService('openssl', spawnSync('openssl', ['version']).status === 0 ? null : 'the openssl command is not installed')

/** Everything the workspace holds that an operator's change would touch. */
async function snapshot(core: TestCore) {
  const docs = await core.workspace.db.allDocs({ include_docs: false })
  return docs.rows.map((r) => r.id).filter((id) => /^(audit|ticket|outbox|device|profile):/.test(id))
}

describe('Orange SIMs through the bridge, against the Orange peer', () => {
  let peer: OrangePeer
  let core: TestCore
  let dir: string
  let cleanup: () => Promise<void>
  const events: { event: EventName; payload: unknown }[] = []
  const meter = { typeId: 'meter', deviceId: 'o-1' }
  const serial = (i: number) => peer.serials[i]!
  let profileId = ''

  const configure = async (device: { typeId: string; deviceId: string }, serialnumber: string) => {
    await core.call('devices:add', device)
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ orange: { serialnumber } }) })
  }
  const finished = async (id: string): Promise<OrangeTicket> => {
    let ticket: OrangeTicket | undefined
    await vi.waitFor(
      async () => {
        ticket = await core.call('orange:ticket', { id })
        expect(ticket.final).toBe(true)
      },
      { timeout: 10_000, interval: 30 },
    )
    return ticket!
  }

  beforeAll(async () => {
    peer = await startOrangePeer({ lines: 12, ticketTiming: { waitingMs: 120, workMs: 120 }, users: [{ username: 'ak-test', password: PASSWORD }] })
    ;({ dir, cleanup } = await tempDir())
    core = await testCore(dir, { orangePolling: FAST })
    core.bus.subscribe((event, payload) => events.push({ event, payload }))
    await configure(meter, serial(0))
  })
  afterAll(async () => {
    await core.close()
    await peer.close()
    await cleanup()
  })

  describe('profiles', () => {
    it('says a device with no Orange SIM has none, and which profile is missing before one exists', async () => {
      await core.call('devices:add', { typeId: 'meter', deviceId: 'bare' })
      expect(await core.dispatcher.invoke('orange:get', { typeId: 'meter', deviceId: 'bare' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', details: { ref: { key: 'orange.notConfigured' } } },
      })
      expect(await core.dispatcher.invoke('orange:get', meter)).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', details: { ref: { key: 'profiles.noneForCarrier', params: { carrier: 'orange' } } } },
      })
    })

    it('refuses a profile without its password or with plain http to another host, and changes nothing', async () => {
      const before = await snapshot(core)
      const base = { extension: 'orange', name: 'Ops', settings: { baseUrl: peer.url, username: 'ak-test' } } as const
      expect(await core.dispatcher.invoke('profiles:save', base)).toMatchObject({ ok: false, error: { details: { ref: { key: 'profiles.orangePasswordRequired' } } } })
      expect(await core.dispatcher.invoke('profiles:save', { ...base, settings: { ...base.settings, baseUrl: 'http://iosw-ba.orange.com/MLM' }, secrets: { password: 'x' } })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION', details: { ref: { key: 'errors.insecureUrl' } } },
      })
      expect(await core.dispatcher.invoke('profiles:save', { ...base, secrets: { password: 'x' }, extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
      expect(await snapshot(core)).toEqual(before)
    })

    it('defaults the base URL to Orange M2M, keeps the password in the vault only, and allows several profiles', async () => {
      const other = await core.call('profiles:save', { extension: 'orange', name: 'Production', settings: { username: 'ak-prod' }, secrets: { password: 'prod-secret' } })
      expect(other).toMatchObject({ extension: 'orange', isDefault: true, settings: { baseUrl: ORANGE_DEFAULT_BASE_URL, concurrency: 1, perSecond: 5 }, secrets: { password: true } })
      const saved = await core.call('profiles:save', {
        extension: 'orange',
        name: 'Peer',
        isDefault: true,
        settings: { baseUrl: peer.url, username: 'ak-test', perSecond: 50 },
        secrets: { password: PASSWORD },
      })
      profileId = saved.id
      const listed = await core.call('profiles:list', { extension: 'orange' })
      expect(listed.items.map((p) => [p.name, p.isDefault])).toEqual(
        expect.arrayContaining([
          ['Production', false],
          ['Peer', true],
        ]),
      )
      expect(JSON.stringify(listed)).not.toContain(PASSWORD)
      expect(JSON.stringify(await core.call('audit:list', { query: 'profile' }))).not.toContain(PASSWORD)
    })

    it('verifies with one cheap call and reports the exact failure: 401, MalimaError, network (TIMEOUT: orange-client.test.ts)', async () => {
      const before = peer.stats().requests
      expect(await core.call('profiles:verify', { extension: 'orange', id: profileId })).toMatchObject({ ok: true, detail: expect.stringContaining('12 lines') })
      expect(peer.stats().requests).toBe(before + 1)

      const wrong = await core.call('profiles:save', { extension: 'orange', name: 'Wrong', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: 'nope' } })
      expect(await core.dispatcher.invoke('profiles:verify', { extension: 'orange', id: wrong.id })).toMatchObject({
        ok: false,
        error: { code: 'AUTH_FAILED', details: { ref: { key: 'orange.authFailed', params: { status: 401 } } } },
      })

      peer.faults.set({ kind: 'soapFault', fault: 'MalimaError', code: 'MLM-403', message: 'Access key not allowed for ConnectivityDirectory', times: 1 })
      expect(await core.dispatcher.invoke('profiles:verify', { extension: 'orange', id: profileId })).toMatchObject({
        ok: false,
        error: { code: 'CARRIER', details: { carrierCode: 'MLM-403', carrierMessage: 'Access key not allowed for ConnectivityDirectory', ref: { key: 'orange.malimaError' } } },
      })

      const dead = await core.call('profiles:save', { extension: 'orange', name: 'Dead', settings: { baseUrl: 'http://127.0.0.1:9/MLM', username: 'ak-test' }, secrets: { password: 'x' } })
      expect(await core.dispatcher.invoke('profiles:verify', { extension: 'orange', id: dead.id })).toMatchObject({
        ok: false,
        error: { code: 'NETWORK', details: { ref: { key: 'errors.network' } } },
      })
      for (const id of [wrong.id, dead.id]) await core.call('profiles:remove', { extension: 'orange', id })
    })

    describe.skipIf(noOpenssl !== null)('TLS', () => {
      let tls: { server: HttpsServer; url: string }
      beforeAll(async () => {
        const pair = await selfSignedCert()
        if (!pair) throw new Error('openssl is needed to make the test certificate (apt-get install openssl)')
        const server = createHttpsServer(pair, (_req, res) => res.end())
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        tls = { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/MLM` }
      })
      afterAll(async () => {
        tls.server.closeAllConnections()
        await new Promise<void>((resolve) => tls.server.close(() => resolve()))
      })

      it('reports a certificate it cannot verify as TLS with the reason', async () => {
        const p = await core.call('profiles:save', { extension: 'orange', name: 'Self-signed', settings: { baseUrl: tls.url, username: 'ak-test' }, secrets: { password: 'x' } })
        expect(await core.dispatcher.invoke('profiles:verify', { extension: 'orange', id: p.id })).toMatchObject({
          ok: false,
          error: { code: 'TLS', details: { ref: { key: 'errors.tls', params: { reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' } } } },
        })
        await core.call('profiles:remove', { extension: 'orange', id: p.id })
      })
    })
  })

  describe('import', () => {
    it('imports carrier=orange rows with their serial number and reports, per row, a carrier named without its identifier', async () => {
      const csv = ['typeId,deviceId,carrier,iccid,serialnumber', `tracker,t-1,orange,,${serial(1)}`, 'tracker,t-2,orange,,', 'tracker,t-3,jasper,,', `tracker,t-4,orange,,12345`].join('\n')
      const { jobId } = await core.call('import:start', { fileName: 'orange.csv' })
      await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
      const report = await core.call('import:finish', { jobId })
      expect(report).toMatchObject({ rows: 4, added: 1, failed: 3 })
      expect(report.errors.map((e) => [e.row, e.ref.key])).toEqual([
        [3, 'import.carrierWithoutId'],
        [4, 'import.carrierWithoutId'],
        [5, 'import.badSerial'],
      ])
      expect((await core.call('devices:get', { typeId: 'tracker', deviceId: 't-1' })).extensionConfig).toEqual({ orange: { serialnumber: serial(1) } })
    })
  })

  describe('the SIM', () => {
    it('reads the SIM, then serves it from the cache "as of", and from the cache with the reason when Orange is unreachable', async () => {
      const fresh = await core.call('orange:get', { ...meter, refresh: true })
      expect(fresh).toMatchObject({
        serialNumber: serial(0),
        fromCache: false,
        offline: null,
        profile: { name: 'Peer' },
        sim: { carrier: 'orange', status: 'activated', iccid: peer.line(serial(0)).iccid, orange: { serialNumber: serial(0) } },
      })
      expect(events.some((e) => e.event === 'orange:changed' && (e.payload as { serialNumber: string }).serialNumber === serial(0))).toBe(true)
      expect(await core.call('orange:get', meter)).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt })
      peer.faults.set({ kind: 'html', status: 502, times: 10 })
      const offline = await core.call('orange:get', { ...meter, refresh: true })
      peer.faults.clear()
      expect(offline).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt, offline: { code: 'CARRIER' } })
    })
  })

  describe('status changes', () => {
    it('submits a change as a ticket, follows it to TERMINATED, and audits it with before → after', async () => {
      const before = peer.stats().statusChanges.length
      const submitted = await core.call('orange:changeStatus', { ...meter, status: 'SUSPENDED' })
      expect(submitted).toMatchObject({
        outcome: 'submitted',
        outboxId: null,
        ticket: { operation: 'status', requestedStatus: 'SUSPENDED', statusBefore: 'ACTIVATED', final: false, serialNumber: serial(0), device: meter },
      })
      const ticket = await finished(submitted.ticket!.id)
      expect(ticket).toMatchObject({ state: 'TERMINATED', lines: [{ serialNumber: serial(0), processingStatus: 'TERMINATED' }], nextPollAt: null, lastError: null })
      expect(ticket.polls).toBeGreaterThanOrEqual(2)
      expect(peer.stats().statusChanges.slice(before)).toEqual([{ serialNumber: serial(0), from: 'ACTIVATED', to: 'SUSPENDED', ticketNumber: ticket.ticketNumber }])

      const trail = (await core.call('audit:list', { query: 'orange.changeStatus' })).items
      expect(trail.map((e) => e.action)).toEqual(['orange.changeStatus', 'orange.changeStatus.submitted'])
      expect(trail[0]).toMatchObject({ outcome: 'ok', before: { status: 'ACTIVATED' }, after: { status: 'SUSPENDED' }, target: `orange:${serial(0)} (meter/o-1)` })
      await vi.waitFor(async () => expect((await core.call('orange:get', meter)).sim).toMatchObject({ status: 'suspended', orange: { requestedStatus: null } }), { timeout: 5000, interval: 30 })

      const pushed = events.filter((e) => e.event === 'orange:ticket' && (e.payload as OrangeTicket).id === ticket.id).map((e) => (e.payload as OrangeTicket).state)
      expect(pushed[0]).toBe('WAITING')
      expect(pushed.at(-1)).toBe('TERMINATED')
      expect((await core.call('orange:tickets', meter)).items[0]).toMatchObject({ id: ticket.id, final: true })
    })

    it('passes a test mode with a test activation only', async () => {
      expect(await core.dispatcher.invoke('orange:changeStatus', { ...meter, status: 'SUSPENDED', testMode: 'EUROPE' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION', details: { ref: { key: 'orange.testModeOnlyForTest' } } },
      })
      const pre = { typeId: 'meter', deviceId: 'o-pre' }
      await configure(pre, serial(2))
      const { ticket } = await core.call('orange:changeStatus', { ...pre, status: 'ACTIVATED_FOR_TEST', testMode: 'METROPOLE' })
      expect(await finished(ticket!.id)).toMatchObject({ state: 'TERMINATED', requestedStatus: 'ACTIVATED_FOR_TEST', testMode: 'METROPOLE' })
      expect(peer.line(serial(2)).status).toBe('ACTIVATED_FOR_TEST')
    })

    it('refuses an unknown serial, a cancelled SIM and a change to the current status with a translated error, and changes nothing', async () => {
      const ghost = { typeId: 'meter', deviceId: 'o-ghost' }
      await configure(ghost, '1600000000006')
      const cancelled = { typeId: 'meter', deviceId: 'o-cancelled' }
      await configure(cancelled, serial(5))
      const sleeping = { typeId: 'meter', deviceId: 'o-sleeping' }
      await configure(sleeping, serial(3))
      const before = await snapshot(core)
      const submissions = peer.stats().submissions.status

      expect(await core.dispatcher.invoke('orange:changeStatus', { ...ghost, status: 'SUSPENDED' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownSerial', params: { serial: '1600000000006' } } } },
      })
      expect(await core.dispatcher.invoke('orange:changeStatus', { ...cancelled, status: 'ACTIVATED' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION', details: { ref: { key: 'orange.simCancelled' } } },
      })
      expect(await core.dispatcher.invoke('orange:changeStatus', { ...sleeping, status: 'SLEEPING' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION', details: { ref: { key: 'orange.sameStatus', params: { status: 'SLEEPING' } } } },
      })
      expect(await core.dispatcher.invoke('orange:changeStatus', { ...sleeping, status: 'PRE_ACTIVATED' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })

      expect(peer.stats().submissions.status).toBe(submissions)
      expect(await snapshot(core)).toEqual(before)
      expect(peer.line(serial(5)).status).toBe('CANCELLED')
    })

    it('reports a transition Orange refuses in its ticket: ERROR with the line error, audited as failed, status unchanged', async () => {
      const active = { typeId: 'meter', deviceId: 'o-active' }
      await configure(active, serial(6))
      const status = peer.line(serial(6)).status
      const target = status === 'PRE_ACTIVATED' ? 'SLEEPING' : 'ACTIVATED_FOR_TEST'
      const { ticket } = await core.call('orange:changeStatus', { ...active, status: target })
      const done = await finished(ticket!.id)
      expect(done).toMatchObject({ state: 'ERROR', lines: [{ processingStatus: 'ERROR', errorCode: 'TRANSITION_NOT_ALLOWED' }] })
      expect(peer.line(serial(6)).status).toBe(status)
      const [entry] = (await core.call('audit:list', { query: `orange:${serial(6)}` })).items
      expect(entry).toMatchObject({
        action: 'orange.changeStatus',
        outcome: 'failed',
        before: { status },
        after: { status: target },
        error: { code: 'CARRIER', details: { carrierCode: 'TRANSITION_NOT_ALLOWED' } },
      })
    })

    it('after an ambiguous failure says UNKNOWN_OUTCOME, sends nothing again, and the operator finds the ticket by number', async () => {
      const dev = { typeId: 'meter', deviceId: 'o-lost' }
      await configure(dev, serial(7))
      const submissions = peer.stats().submissions.status
      peer.faults.set({ kind: 'drop', afterRequest: true, operation: 'submitUpdateSimStatusRequest', times: 1 })
      expect(await core.dispatcher.invoke('orange:changeStatus', { ...dev, status: 'SUSPENDED' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_OUTCOME' } })
      expect(peer.stats().submissions.status).toBe(submissions + 1)
      expect((await core.call('orange:tickets', dev)).items).toEqual([])
      const [failed] = (await core.call('audit:list', { query: `orange:${serial(7)}` })).items
      expect(failed).toMatchObject({ action: 'orange.changeStatus', outcome: 'failed', error: { code: 'UNKNOWN_OUTCOME' } })

      const lost = peer.stats().tickets.at(-1)!
      expect(lost.serials).toEqual([serial(7)])
      const found = await core.call('orange:lookupTicket', { operation: 'status', ticketNumber: lost.number })
      expect(found).toMatchObject({ ticketNumber: lost.number, serialNumber: serial(7), requestedStatus: 'SUSPENDED' })
      expect(await finished(found.id)).toMatchObject({ state: 'TERMINATED' })
      expect(await core.dispatcher.invoke('orange:lookupTicket', { operation: 'status', ticketNumber: 999 })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownTicket' } } },
      })
    })

    it('keeps polling through failed polls, with the reason shown, until the ticket is final', async () => {
      const dev = { typeId: 'meter', deviceId: 'o-flaky' }
      await configure(dev, serial(4))
      peer.faults.set({ kind: 'soapFault', fault: 'MalimaError', code: 'MLM-503', message: 'Ticket store busy', operation: 'getUpdateSimStatusResult', times: 2 })
      const { ticket } = await core.call('orange:changeStatus', { ...dev, status: 'ACTIVATED' })
      await vi.waitFor(async () => expect((await core.call('orange:ticket', { id: ticket!.id })).lastError).toMatchObject({ code: 'CARRIER', details: { carrierCode: 'MLM-503' } }), {
        timeout: 5000,
        interval: 20,
      })
      expect(await finished(ticket!.id)).toMatchObject({ state: 'TERMINATED', lastError: null })
    })

    it('recovers a ticket whose final result was already handed out (lost in a crash) from the SIM itself', async () => {
      const t = await tempDir()
      const slow = await testCore(t.dir, { orangePolling: { minMs: 60_000, maxMs: 60_000 } })
      try {
        await slow.call('profiles:save', { extension: 'orange', name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
        const dev = { typeId: 'meter', deviceId: 'o-retrieved' }
        await slow.call('devices:add', dev)
        await slow.call('devices:saveConfig', { ...dev, text: JSON.stringify({ orange: { serialnumber: serial(11) } }) })
        peer.setStatus(serial(11), 'ACTIVATED')
        const { ticket } = await slow.call('orange:changeStatus', { ...dev, status: 'SLEEPING' })
        // Someone (the session that crashed) takes the final result first.
        const thief = createOrangeClient({ baseUrl: peer.url, username: 'ak-test', password: PASSWORD })
        await vi.waitFor(async () => expect((await thief.statusTicket(ticket!.ticketNumber)).state).toBe('TERMINATED'), { timeout: 5000, interval: 50 })
        await thief.close()
        const recovered = await slow.call('orange:lookupTicket', { operation: 'status', ticketNumber: ticket!.ticketNumber })
        expect(recovered).toMatchObject({ id: ticket!.id, final: true, state: 'TERMINATED', errorMessage: expect.stringContaining('already given') })
        expect((await slow.call('audit:list', { query: 'orange.changeStatus' })).items[0]).toMatchObject({ action: 'orange.changeStatus', outcome: 'ok', after: { status: 'SLEEPING' } })
      } finally {
        await slow.close()
        await t.cleanup()
      }
    })

    it('leaves the result with Orange while the disk refuses writes, so a session that ends meanwhile loses nothing', async () => {
      const t = await tempDir()
      const first = await testCore(t.dir, { orangePolling: FAST })
      const db = first.workspace.db
      const write = db.bulkDocs.bind(db)
      const p = await first.call('profiles:save', { extension: 'orange', name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
      const dev = { typeId: 'meter', deviceId: 'o-full-disk' }
      await first.call('devices:add', dev)
      await first.call('devices:saveConfig', { ...dev, text: JSON.stringify({ orange: { serialnumber: serial(9), profile: p.id } }) })
      peer.setStatus(serial(9), 'ACTIVATED')
      // A location ticket: its report cannot be recovered from the SIM, as a status change's outcome can.
      const { ticket } = await first.call('orange:locate', dev)
      let refused = 0
      db.bulkDocs = (() => {
        refused += 1
        return Promise.reject(Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' }))
      }) as never
      try {
        // The report is ready at Orange, and the follower has come for it more than once since: it was not taken.
        const ours = () => peer.stats().tickets.find((k) => k.number === ticket!.ticketNumber)
        await vi.waitFor(() => expect(ours()?.finished).toBe(true), { timeout: 10_000, interval: 20 })
        const atFinish = refused
        await vi.waitFor(() => expect(refused).toBeGreaterThan(atFinish + 2), { timeout: 10_000, interval: 20 })
        expect(ours()?.resultRetrieved).toBe(false)
      } finally {
        db.bulkDocs = write
        // The session ends with the disk still full.
        await first.close()
      }
      // The memory vault of a test core is per process: the next session is given the same secret.
      const second = await testCore(t.dir, { orangePolling: FAST })
      try {
        await second.call('profiles:save', { extension: 'orange', id: p.id, name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
        await vi.waitFor(async () => expect(await second.call('orange:ticket', { id: ticket!.id })).toMatchObject({ final: true }), { timeout: 10_000, interval: 30 })
        // Orange's own report, not "already given; the location report is lost".
        const done = await second.call('orange:ticket', { id: ticket!.id })
        expect(done).toMatchObject({ state: 'TERMINATED', errorCode: null, errorMessage: null, location: { ticketNumber: ticket!.ticketNumber } })
        expect((await second.call('audit:list', { query: 'orange.locate' })).items.map((e) => [e.action, e.outcome])).toEqual([
          ['orange.locate', 'ok'],
          ['orange.locate.submitted', 'ok'],
        ])
      } finally {
        await second.close()
        await t.cleanup()
      }
    })

    it('keeps an outcome the disk refuses after the poll was noted and writes it, audited once, as soon as the disk takes writes again', async () => {
      const t = await tempDir()
      const logged: { level: string; msg: string }[] = []
      const log = (level: string) => (_: unknown, msg: string) => void logged.push({ level, msg })
      const disk = await testCore(t.dir, { orangePolling: FAST, logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: () => undefined } as never })
      const db = disk.workspace.db
      const write = db.bulkDocs.bind(db)
      try {
        await disk.call('profiles:save', { extension: 'orange', name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
        const dev = { typeId: 'meter', deviceId: 'o-refused' }
        await disk.call('devices:add', dev)
        await disk.call('devices:saveConfig', { ...dev, text: JSON.stringify({ orange: { serialnumber: serial(1) } }) })
        peer.setStatus(serial(1), 'ACTIVATED')
        const { ticket } = await disk.call('orange:changeStatus', { ...dev, status: 'SUSPENDED' })
        // The disk fills up between a poll's note and the outcome's write: the outcome's write (with its audit entry)
        // is refused as LevelDB refuses it, and every one after it while the disk is full.
        let refused = 0
        db.bulkDocs = ((docs: { _id: string }[], ...rest: unknown[]) => {
          if (refused === 0 && !docs.some((d) => d._id.startsWith('audit:'))) return write(docs as never, ...(rest as []))
          refused += 1
          return Promise.reject(Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' }))
        }) as never
        // Orange hands the final result out, once; the follower keeps it and tries the write again, on its back-off.
        await vi.waitFor(() => expect(peer.stats().tickets.find((k) => k.number === ticket!.ticketNumber)?.resultRetrieved).toBe(true), { timeout: 10_000, interval: 20 })
        const atRetrieval = refused
        await vi.waitFor(() => expect(refused).toBeGreaterThan(atRetrieval + 2), { timeout: 10_000, interval: 20 })
        expect(await disk.call('orange:ticket', { id: ticket!.id })).toMatchObject({ final: false })
        expect(logged.filter((l) => l.level === 'warn' && l.msg.includes('the disk refuses writes'))).toHaveLength(1)

        db.bulkDocs = write
        await vi.waitFor(async () => expect(await disk.call('orange:ticket', { id: ticket!.id })).toMatchObject({ final: true }), { timeout: 10_000, interval: 20 })
        // The answer Orange gave, not one recovered from the SIM after asking again.
        expect(await disk.call('orange:ticket', { id: ticket!.id })).toMatchObject({ state: 'TERMINATED', errorCode: null, errorMessage: null, lastError: null })
        expect((await disk.call('audit:list', { query: 'orange.changeStatus' })).items.map((e) => [e.action, e.outcome])).toEqual([
          ['orange.changeStatus', 'ok'],
          ['orange.changeStatus.submitted', 'ok'],
        ])
        expect(logged.filter((l) => l.level === 'info' && l.msg.includes('the disk takes writes again'))).toHaveLength(1)
        expect(logged.filter((l) => l.level === 'error')).toEqual([])
      } finally {
        db.bulkDocs = write
        await disk.close()
        await t.cleanup()
      }
    })

    it('queues a change offline in the shared outbox and sends it, in order, when replayed', async () => {
      const dev = { typeId: 'meter', deviceId: 'o-queued' }
      await configure(dev, serial(8))
      const queued = await core.call('orange:changeStatus', { ...dev, status: 'SLEEPING', queue: true })
      expect(queued).toMatchObject({ outcome: 'queued', ticket: null })
      const { items } = await core.call('outbox:list', {})
      expect(items.find((i) => i.id === queued.outboxId)).toMatchObject({ carrier: 'orange', iccid: serial(8), action: 'sim.changeStatus', params: { status: 'sleeping' }, state: 'pending' })
      expect(events.some((e) => e.event === 'outbox:changed')).toBe(true)
      expect(await core.call('outbox:replay', {})).toMatchObject({ done: 1, failed: 0, pending: 0 })
      const [ticket] = (await core.call('orange:tickets', dev)).items
      expect(await finished(ticket!.id)).toMatchObject({ state: 'TERMINATED', requestedStatus: 'SLEEPING' })
    })
  })

  describe('location status', () => {
    it('asks for it through a DeviceInfo ticket and keeps the report with the cached SIM', async () => {
      const dev = { typeId: 'meter', deviceId: 'o-where' }
      await configure(dev, serial(9))
      peer.setStatus(serial(9), 'ACTIVATED')
      const { ticket } = await core.call('orange:locate', dev)
      expect(ticket).toMatchObject({ operation: 'location', final: false })
      const done = await finished(ticket!.id)
      const line = peer.line(serial(9))
      expect(done.location).toMatchObject({
        connectivity: true,
        cell: { mcc: 208, cellId: line.cell!.cellId },
        position: { accuracy: { value: line.position!.accuracyMeters, unit: 'm' } },
        ticketNumber: done.ticketNumber,
      })
      await vi.waitFor(async () => expect((await core.call('orange:get', dev)).sim?.orange?.location).toMatchObject({ ticketNumber: done.ticketNumber }), { timeout: 5000, interval: 30 })
      // A later refresh of the SIM keeps the location status it had.
      expect((await core.call('orange:get', { ...dev, refresh: true })).sim?.orange?.location?.ticketNumber).toBe(done.ticketNumber)
      expect((await core.call('audit:list', { query: 'orange.locate' })).items.map((e) => e.action)).toEqual(['orange.locate', 'orange.locate.submitted'])
    })
  })

  describe('after a restart', () => {
    it('follows a ticket left open by the session that closed', async () => {
      const t = await tempDir()
      const first = await testCore(t.dir, { orangePolling: { minMs: 60_000, maxMs: 60_000 } })
      const p = await first.call('profiles:save', { extension: 'orange', name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
      const dev = { typeId: 'meter', deviceId: 'o-restart' }
      await first.call('devices:add', dev)
      await first.call('devices:saveConfig', { ...dev, text: JSON.stringify({ orange: { serialnumber: serial(10), profile: p.id } }) })
      peer.setStatus(serial(10), 'ACTIVATED')
      const { ticket } = await first.call('orange:changeStatus', { ...dev, status: 'SUSPENDED' })
      await first.close()
      // The memory vault of a test core is per process: the second session is given the same secret.
      const second = await testCore(t.dir, { orangePolling: FAST })
      try {
        await second.call('profiles:save', { extension: 'orange', id: p.id, name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test' }, secrets: { password: PASSWORD } })
        await vi.waitFor(async () => expect(await second.call('orange:ticket', { id: ticket!.id })).toMatchObject({ final: true, state: 'TERMINATED' }), { timeout: 10_000, interval: 30 })
        expect(peer.line(serial(10)).status).toBe('SUSPENDED')
      } finally {
        await second.close()
        await t.cleanup()
      }
    })
  })
})
