import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOrangeClient, type OrangeClient, type OrangeClientOptions } from '../../src-main/core/carriers/orange/orange.client'
import { simSchema } from '../../src-main/core/carriers/sim-model'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { rejection } from '../helpers/core'

/** The peer's clock: tickets move only when a test moves it. */
let now = Date.parse('2025-03-14T10:00:00.000Z')
const clock = () => new Date(now)
const TIMING = { waitingMs: 60_000, workMs: 60_000 }
const advance = (ms: number) => (now += ms)

describe('Orange M2M client against the Orange peer', () => {
  let peer: OrangePeer
  const clients: OrangeClient[] = []
  const client = (over: Partial<OrangeClientOptions> = {}) => {
    const c = createOrangeClient({ baseUrl: peer.url, username: 'ak-test', password: 'test-password', now: clock, http: { timeoutMs: { headers: 2000 } }, ...over })
    clients.push(c)
    return c
  }
  const serial = (i: number) => peer.serials[i]!

  beforeAll(async () => {
    peer = await startOrangePeer({ lines: 30, now: clock, ticketTiming: TIMING, maxSearchResults: 25, maxLinesPerRequest: 3 })
  })
  afterEach(() => peer.faults.clear())
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await peer.close()
  })

  describe('connectivity directory', () => {
    it('reads a SIM into the normalised model: ICCID and IMSI reported, dates in UTC, Orange fields kept', async () => {
      const sim = await client().getSim(serial(1))
      expect(simSchema.parse(sim)).toEqual(sim)
      const line = peer.line(serial(1))
      expect(sim).toMatchObject({ carrier: 'orange', iccid: line.iccid, imsi: line.imsi, status: 'suspended', statusRaw: 'SUSPENDED', msisdn: `${line.msisdn.cc}${line.msisdn.sn}` })
      expect(sim.orange).toMatchObject({
        serialNumber: serial(1),
        iccidReported: true,
        suspensionReason: 'Customer request',
        lastStatusChangeDate: new Date(line.lastStatusChange).toISOString(),
        lastStatusRefreshDate: new Date(line.lastStatusRefresh).toISOString(),
        requestedStatus: null,
        subscription: line.subscription,
      })
      expect(sim.orange?.position).toMatchObject({ accuracy: { unit: 'm' } })
      expect(sim.fetchedAt).toBe(clock().toISOString())
    })

    it('maps all six Orange statuses', async () => {
      const { sims } = await client().connectivityDirectory(peer.serials.slice(0, 3))
      expect(sims.map((s) => s.status)).toEqual(['activated', 'suspended', 'preActivated'])
      const more = await client().connectivityDirectory(peer.serials.slice(3, 6))
      expect(more.sims.map((s) => s.statusRaw)).toEqual(['SLEEPING', 'ACTIVATED_FOR_TEST', 'CANCELLED'])
      expect(more.sims.map((s) => s.status)).toEqual(['sleeping', 'activatedForTest', 'cancelled'])
    })

    it('lists unknown serial numbers (unknownLinesIdentifiers) and reports one asked for alone as NOT_FOUND', async () => {
      const unknown = '1600000000006'
      const { sims, unknown: missing } = await client().connectivityDirectory([serial(0), unknown])
      expect(sims.map((s) => s.orange?.serialNumber)).toEqual([serial(0)])
      expect(missing).toEqual([unknown])
      const e = await rejection(client().getSim(unknown))
      expect(e).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownSerial', params: { serial: unknown } } } })
    })

    it('says an unknown serial number whose check digit is wrong was probably mistyped, for a read and a submission', async () => {
      // A known serial with its last digit changed: 13 digits, so it is sent, and Orange does not know it.
      const typo = `${serial(0).slice(0, 12)}${(Number(serial(0)[12]) + 1) % 10}`
      for (const attempt of [client().getSim(typo), client().submitStatusChange(typo, 'SUSPENDED'), client().submitLocation(typo)]) {
        expect(await rejection(attempt)).toMatchObject({
          code: 'NOT_FOUND',
          message: expect.stringContaining('fails its check digit'),
          details: { ref: { key: 'orange.unknownSerialCheckDigit', params: { serial: typo } } },
        })
      }
    })

    it('refuses a malformed serial number before sending anything', async () => {
      const before = peer.stats().requests
      for (const bad of ['123', '16000000000a8', '89330116680073700130']) {
        expect(await rejection(client().getSim(bad))).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'orange.invalidSerial' } } })
      }
      expect(peer.stats().requests).toBe(before)
    })

    it('turns TooManyLineIdentifiersError into an error naming the limit', async () => {
      const e = await rejection(client().connectivityDirectory(peer.serials.slice(0, 4)))
      expect(e).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'orange.tooManyLines', params: { max: 3 } }, carrierCode: 'TooManyLineIdentifiersError' } })
    })
  })

  describe('search', () => {
    it('pages through every line once, in serial-number order, with the total', async () => {
      const pages = []
      for await (const page of client().search({ rangeSize: 7, statuses: ['ACTIVATED', 'SUSPENDED', 'PRE_ACTIVATED', 'SLEEPING', 'ACTIVATED_FOR_TEST', 'CANCELLED'] })) pages.push(page)
      expect(pages.map((p) => p.rangeStart)).toEqual([0, 7, 14, 21])
      const serials = pages.flatMap((p) => p.rows.map((r) => r.serialNumber))
      expect(pages[0]!.totalResultsNumber).toBe(30)
      // The peer lists at most 25 lines of a search and says so.
      expect(pages[0]!.resultsNumberExceeded).toBe(true)
      expect(serials).toHaveLength(25)
      expect(serials).toEqual([...peer.serials].sort().slice(0, 25))
    })

    it('filters by status and by status-change date, and sorts as asked', async () => {
      const rows = []
      for await (const page of client().search({ statuses: ['SUSPENDED'] })) rows.push(...page.rows)
      expect(rows.length).toBeGreaterThan(0)
      expect(rows.every((r) => r.statusRaw === 'SUSPENDED')).toBe(true)

      const byDate = []
      for await (const page of client().search({ sort: [{ attribute: 'STATUS_CHANGE_DATE', order: 'DESC' }], rangeSize: 100 })) byDate.push(...page.rows)
      const dates = byDate.map((r) => r.lastStatusChangeDate!)
      expect(dates).toEqual([...dates].sort().reverse())

      const since = dates[4]!
      const recent = []
      for await (const page of client().search({ statusChangedSince: since })) recent.push(...page.rows)
      expect(recent.every((r) => r.lastStatusChangeDate! >= since)).toBe(true)
      expect(recent.length).toBeGreaterThanOrEqual(5)
    })

    it('refuses a date without a zone and a page size out of range, before sending', async () => {
      const before = peer.stats().requests
      expect(await rejection(client().searchPage({ statusChangedSince: '2024-01-01T00:00:00' }, 0))).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'carrier.invalidDateTime' } } })
      expect(await rejection(client().searchPage({ rangeSize: 101 }, 0))).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'carrier.invalidPageSize' } } })
      expect(peer.stats().requests).toBe(before)
    })

    it('keeps the MalimaError code and message of a refused search', async () => {
      const e = await rejection(client().searchPage({}, -1))
      expect(e).toMatchObject({
        code: 'CARRIER',
        details: { carrierCode: 'MLM-400', carrierMessage: 'rangeStart must not be negative', ref: { key: 'orange.malimaError', params: { code: 'MLM-400' } } },
      })
    })
  })

  describe('status changes through tickets', () => {
    it('submits, follows WAITING → WORK_IN_PROGRESS → TERMINATED, and the SIM shows the pending and then the new status', async () => {
      const c = client()
      const target = serial(3) // SLEEPING
      const { ticketNumber } = await c.submitStatusChange(target, 'ACTIVATED')
      expect((await c.statusTicket(ticketNumber)).state).toBe('WAITING')
      expect((await c.getSim(target)).orange).toMatchObject({ requestedStatus: 'ACTIVATED', statusChangeRequestDate: clock().toISOString() })
      advance(TIMING.waitingMs)
      const working = await c.statusTicket(ticketNumber)
      expect(working).toMatchObject({ state: 'WORK_IN_PROGRESS', requestedStatus: 'ACTIVATED', lines: [{ serialNumber: target, processingStatus: 'WORK_IN_PROGRESS' }] })
      advance(TIMING.workMs)
      const done = await c.statusTicket(ticketNumber)
      expect(done).toMatchObject({ state: 'TERMINATED', errorCode: null, lines: [{ serialNumber: target, processingStatus: 'TERMINATED', updateDate: clock().toISOString() }] })
      expect(await c.getSim(target)).toMatchObject({ status: 'activated', orange: { requestedStatus: null, lastStatusChangeDate: clock().toISOString() } })
      // A final result is given once; asking again is a conflict that says when it was given.
      expect(await rejection(c.statusTicket(ticketNumber))).toMatchObject({ code: 'CONFLICT', details: { ref: { key: 'orange.resultAlreadyRetrieved' }, carrierCode: 'ResultAlreadyRetrievedError' } })
    })

    it('reports a refused transition per line, with ERROR and the line unchanged', async () => {
      const c = client()
      const cancelled = serial(5)
      const { ticketNumber } = await c.submitStatusChange(cancelled, 'ACTIVATED')
      advance(TIMING.waitingMs + TIMING.workMs)
      const result = await c.statusTicket(ticketNumber)
      expect(result).toMatchObject({ state: 'ERROR', lines: [{ serialNumber: cancelled, processingStatus: 'ERROR', errorCode: 'SIM_CANCELLED' }] })
      expect(peer.line(cancelled).status).toBe('CANCELLED')
    })

    it('passes the test mode of a test activation, and InvalidParameterError keeps its message', async () => {
      const c = client()
      const { ticketNumber } = await c.submitStatusChange(serial(2), 'ACTIVATED_FOR_TEST', 'EUROPE')
      expect(await c.statusTicket(ticketNumber)).toMatchObject({ requestedStatus: 'ACTIVATED_FOR_TEST', testMode: 'EUROPE' })
      const e = await rejection(c.submitStatusChange(serial(0), 'SUSPENDED', 'EUROPE'))
      expect(e).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'orange.invalidParameter' }, carrierCode: 'InvalidParameterError', carrierMessage: expect.stringContaining('testMode') } })
    })

    it('says NOT_FOUND for an unknown ticket and for an unknown serial number', async () => {
      expect(await rejection(client().statusTicket(123))).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownTicket', params: { ticket: 123 } } } })
      const before = peer.stats().submissions.status
      expect(await rejection(client().submitStatusChange('1600000000006', 'SUSPENDED'))).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownSerial' } } })
      expect(peer.stats().submissions.status).toBe(before)
    })

    it('never repeats a submission whose answer was lost, and says UNKNOWN_OUTCOME', async () => {
      const c = client()
      const before = peer.stats().submissions.status
      peer.faults.set({ kind: 'drop', afterRequest: true, operation: 'submitUpdateSimStatusRequest', times: 1 })
      const e = await rejection(c.submitStatusChange(serial(7), 'SUSPENDED'))
      expect(e.code).toBe('UNKNOWN_OUTCOME')
      // Orange made exactly one ticket: the request was not sent again.
      expect(peer.stats().submissions.status).toBe(before + 1)
      expect(peer.stats().byOperation.submitUpdateSimStatusRequest).toBeGreaterThanOrEqual(1)
    })

    it('says UNKNOWN_OUTCOME when a submission meets an HTML error page, and the mapped fault when Orange answers one', async () => {
      const c = client()
      peer.faults.set({ kind: 'html', status: 500, operation: 'submitUpdateSimStatusRequest', times: 1 })
      expect(await rejection(c.submitStatusChange(serial(8), 'SUSPENDED'))).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'orange.submitUnknown' } } })
      peer.faults.set({ kind: 'soapFault', fault: 'TelcoISError', code: 'TIS-17', message: 'HLR unreachable', operation: 'submitUpdateSimStatusRequest', times: 1 })
      expect(await rejection(c.submitStatusChange(serial(8), 'SUSPENDED'))).toMatchObject({
        code: 'CARRIER',
        details: { carrierCode: 'TIS-17', carrierMessage: 'HLR unreachable', ref: { key: 'orange.telcoError' } },
      })
      peer.faults.set({ kind: 'soapFault', fault: 'MalimaError', code: 'MLM-042', message: 'Quota reached', operation: 'submitUpdateSimStatusRequest', times: 1 })
      expect(await rejection(c.submitStatusChange(serial(8), 'SUSPENDED'))).toMatchObject({ code: 'CARRIER', details: { carrierCode: 'MLM-042', carrierMessage: 'Quota reached' } })
    })

    it('times out a slow submission as UNKNOWN_OUTCOME without sending it twice', async () => {
      const c = client({ http: { timeoutMs: { headers: 300 } } })
      const before = peer.stats().byOperation.submitUpdateSimStatusRequest ?? 0
      peer.faults.set({ kind: 'latency', ms: 1500, operation: 'submitUpdateSimStatusRequest', times: 1 })
      expect((await rejection(c.submitStatusChange(serial(9), 'SUSPENDED'))).code).toBe('UNKNOWN_OUTCOME')
      expect(peer.stats().byOperation.submitUpdateSimStatusRequest).toBe(before + 1)
    })
  })

  describe('location status through DeviceInfo tickets', () => {
    it('submits submitSimSupLoc and reads the report: connectivity, roaming, cell and position with accuracy', async () => {
      const c = client()
      const { ticketNumber } = await c.submitLocation(serial(0))
      expect((await c.locationTicket(ticketNumber)).state).toBe('WAITING')
      advance(TIMING.waitingMs + TIMING.workMs)
      const report = await c.locationTicket(ticketNumber)
      const line = peer.line(serial(0))
      expect(report).toMatchObject({ state: 'TERMINATED' })
      expect(report.lines[0]).toMatchObject({
        serialNumber: serial(0),
        processingStatus: 'TERMINATED',
        connectivity: true,
        ip: line.ip,
        roaming: false,
        cell: { mcc: 208, mnc: 1, lac: line.cell!.lac, cellId: line.cell!.cellId, extendedCellId: null },
        position: { latitude: Number(line.position!.latitude.toFixed(6)), accuracy: { value: line.position!.accuracyMeters, unit: 'm' }, at: clock().toISOString() },
      })
    })

    it('gives a detached SIM no current position, only its last known one', async () => {
      const c = client()
      const { ticketNumber } = await c.submitLocation(serial(1))
      advance(TIMING.waitingMs + TIMING.workMs)
      const [line] = (await c.locationTicket(ticketNumber)).lines
      expect(line).toMatchObject({ connectivity: false, position: null, cell: null })
      expect(line!.lastKnownPosition).not.toBeNull()
    })

    it('reports a line refused before a ticket (validationError) with its code, and DeviceInfo faults in their own namespace', async () => {
      expect(await rejection(client().submitLocation(serial(5)))).toMatchObject({ code: 'CARRIER', details: { carrierCode: 'SIM_CANCELLED', ref: { key: 'orange.lineRefused' } } })
      expect(await rejection(client().locationTicket(42))).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'orange.unknownTicket' } } })
      peer.faults.set({ kind: 'soapFault', fault: 'MalimaError', code: 'DIS-9', message: 'Supervision unavailable', operation: 'getSimReport', times: 1 })
      expect(await rejection(client().locationTicket(42))).toMatchObject({ code: 'CARRIER', details: { carrierCode: 'DIS-9', carrierMessage: 'Supervision unavailable' } })
    })
  })

  describe('transport and authentication', () => {
    it('verifies with one cheap call', async () => {
      const before = peer.stats().requests
      expect((await client().verify()).detail).toContain('30 lines')
      expect(peer.stats().requests).toBe(before + 1)
    })

    it('reports wrong credentials as AUTH_FAILED (401)', async () => {
      const e = await rejection(client({ password: 'wrong' }).verify())
      expect(e).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'orange.authFailed', params: { status: 401 } } } })
    })

    it('says a host that is not Orange is not Orange, and an HTML 500 from a gateway is the service unavailable', async () => {
      const wrong = await rejection(client({ baseUrl: peer.url.replace('/MLM', '/other') }).verify())
      expect(wrong).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'orange.notOrange' } } })
      peer.faults.set({ kind: 'html', status: 500, operation: 'getConnectivityDirectory', times: 1 })
      expect(await rejection(client().getSim(serial(0)))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'carrier.unavailable', params: { status: 500 } } } })
    })

    it('retries a read after a reset connection or a 503, and reports a dead service as NETWORK', async () => {
      peer.faults.set({ kind: 'drop', operation: 'getConnectivityDirectory', times: 1 })
      expect((await client().getSim(serial(0))).orange?.serialNumber).toBe(serial(0))
      peer.faults.set({ kind: 'status', status: 503, retryAfterSeconds: 0, operation: 'getConnectivityDirectory', times: 1 })
      expect((await client().getSim(serial(0))).orange?.serialNumber).toBe(serial(0))
      const dead = await rejection(client({ baseUrl: 'http://127.0.0.1:9/MLM' }).verify())
      expect(dead.code).toBe('NETWORK')
    })

    it('times out a slow read as TIMEOUT', async () => {
      peer.faults.set({ kind: 'latency', ms: 1500, operation: 'getConnectivityDirectory', times: 3 })
      const e = await rejection(client({ http: { timeoutMs: { headers: 200 } } }).getSim(serial(0)))
      expect(e).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout' } } })
    })
  })
})
