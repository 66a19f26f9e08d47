/**
 * Client for Orange's M2M ("Malima") web services (docs/wire/orange.md §4): ConnectivityDirectory (read and search
 * lines), SimLifecycleManagement (status changes, asynchronous through tickets) and DeviceInfo (supervision and
 * location, asynchronous too). SOAP 1.1 document/literal over HTTP Basic (access key : password).
 */
import type { OrangeRequestableStatus, OrangeTestMode } from '../../../../src-shared/models/orange'
import { ORANGE_SERIAL_PATTERN, orangeIccidFromSerial } from '../../../../src-shared/models/orange'
import type { OrangeSimStatus, Sim } from '../../../../src-shared/models/sim'
import { AppError } from '../../common/errors'
import { createGovernor, type Governor } from '../../http/governor'
import { createHttpClient, type HttpClientOptions } from '../../http/http-client'
import { formatRequestDateTime } from '../control-center/control-center.client'
import { blankSim, normaliseOrangeStatus } from '../sim-model'
import { el, type XmlElement, type XmlNode } from '../xml-dom'
import { badAnswer, faultError, httpError, notOrange, submissionUnknown, unknownSerial, type OrangeErrorContext } from './errors'
import { NS, SERVICE_PATHS, buildEnvelope, readEnvelope, type OrangeService } from './soap'
import {
  WireError,
  readDirectoryAnswer,
  readLocationSubmitAnswer,
  readSearchAnswer,
  readSimReportAnswer,
  readStatusSubmitAnswer,
  readStatusTicketAnswer,
  type OrangeLine,
  type SimReportAnswer,
  type StatusTicketAnswer,
  type SubmitAnswer,
} from './wire'

export interface OrangeClientOptions {
  /** The base under which the services live, e.g. https://iosw-ba.orange.com/MLM. */
  baseUrl: string
  /** The access key (the SDK's `login`). */
  username: string
  /** The access key's password. */
  password: string
  /** The account's governor, shared by every client of this account; one call at a time and 5/s otherwise. */
  governor?: Governor
  http?: Omit<HttpClientOptions, 'baseUrl' | 'governor' | 'service'>
  /** Clock for `fetchedAt`; tests pin it. */
  now?: () => Date
}

/** connectivityDirectory.xsd `SortAttribute` and `SortOrder`. */
export const ORANGE_SORT_ATTRIBUTES = ['SIM_STATUS', 'STATUS_CHANGE_DATE', 'SIM_SSN', 'CONTACT', 'DEVICE_UNIQUE_IDENTIFIER', 'SUB_CONNECTION_DATE', 'SUB_CREATION_DATE'] as const
export type OrangeSortAttribute = (typeof ORANGE_SORT_ATTRIBUTES)[number]
export interface OrangeSort {
  attribute: OrangeSortAttribute
  order: 'ASC' | 'DESC'
}

export interface OrangeSearch {
  serialNumber?: string
  statuses?: OrangeSimStatus[]
  /** Status changed at or after / before these instants (ISO 8601 with a zone). */
  statusChangedSince?: string
  statusChangedUntil?: string
  /** At most two criteria (the schema's maxOccurs). */
  sort?: OrangeSort[]
  /** Lines per page. */
  rangeSize?: number
}

/** One line of a search, as the connectivity directory lists it. */
export interface OrangeSearchRow {
  serialNumber: string | null
  iccid: string | null
  imsi: string | null
  status: OrangeSimStatus | null
  statusRaw: string | null
  lastStatusChangeDate: string | null
  lastStatusRefreshDate: string | null
  requestedStatus: string | null
  subscription: string
}

export interface OrangeSearchPage {
  rangeStart: number
  rows: OrangeSearchRow[]
  totalResultsNumber: number
  /** Orange's flag: more lines match than it will list; narrow the criteria to see them all. */
  resultsNumberExceeded: boolean
}

export interface OrangeClient {
  readonly baseUrl: string
  /** One SIM by serial number; NOT_FOUND when Orange lists it as unknown. */
  getSim(serialNumber: string, options?: { signal?: AbortSignal }): Promise<Sim>
  /** Several SIMs at once, with the serial numbers Orange does not know. `signal`: the caller gives up (RequestAbandoned). */
  connectivityDirectory(serialNumbers: string[], options?: { signal?: AbortSignal }): Promise<{ sims: Sim[]; unknown: string[] }>
  /** `signal`: the caller gives up (a SIM inventory sync the operator stopped): RequestAbandoned. */
  searchPage(query: OrangeSearch, rangeStart: number, options?: { signal?: AbortSignal }): Promise<OrangeSearchPage>
  /** Every page, in order; a line listed twice across pages (a shifting result set) is given once. */
  search(query: OrangeSearch): AsyncGenerator<OrangeSearchPage, void, undefined>
  /** Submits a status change; sent once, never repeated after an ambiguous failure (UNKNOWN_OUTCOME). */
  submitStatusChange(serialNumber: string, status: OrangeRequestableStatus, testMode?: OrangeTestMode): Promise<{ ticketNumber: number }>
  statusTicket(ticketNumber: number): Promise<StatusTicketAnswer>
  /** Submits a supervision-and-location request (DeviceInfo submitSimSupLoc); sent once like a status change. */
  submitLocation(serialNumber: string): Promise<{ ticketNumber: number }>
  locationTicket(ticketNumber: number): Promise<SimReportAnswer>
  /** One cheap authenticated call that tells bad credentials, a wrong host, TLS, timeout and network apart. */
  verify(): Promise<{ detail: string }>
  close(): Promise<void>
}

export const MAX_RANGE_SIZE = 100
const MAX_PAGES = 10_000
const MAX_TICKET = 2_147_483_647

export function checkSerialNumber(serialNumber: string): void {
  if (!ORANGE_SERIAL_PATTERN.test(serialNumber)) {
    throw AppError.withRef('VALIDATION', `Not an Orange SIM serial number (13 digits): ${serialNumber.slice(0, 40)}`, {
      key: 'orange.invalidSerial',
      params: { serial: serialNumber.slice(0, 40) },
    })
  }
}

export function checkTicketNumber(ticketNumber: number): void {
  if (!Number.isInteger(ticketNumber) || ticketNumber < 1 || ticketNumber > MAX_TICKET) {
    throw AppError.withRef('VALIDATION', `Not an Orange ticket number: ${String(ticketNumber).slice(0, 20)}`, { key: 'orange.invalidTicket', params: { ticket: String(ticketNumber).slice(0, 20) } })
  }
}

export function createOrangeClient(options: OrangeClientOptions): OrangeClient {
  const governor = options.governor ?? createGovernor({ concurrency: 1, perSecond: 5 })
  const http = createHttpClient({ ...options.http, baseUrl: options.baseUrl, governor, service: 'Orange M2M' })
  const base = `${http.baseUrl.origin}${http.baseUrl.pathname.replace(/\/+$/, '')}`
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`
  const now = options.now ?? (() => new Date())

  /**
   * One SOAP exchange. Reads may be repeated by the http layer (they change nothing); a submission is sent once, and
   * any answer that does not say for certain whether Orange made a ticket is UNKNOWN_OUTCOME.
   */
  async function call<T>(
    service: OrangeService,
    operation: string,
    body: XmlElement,
    read: (node: XmlNode) => T,
    extra: Partial<OrangeErrorContext> = {},
    submission = false,
    signal?: AbortSignal,
  ): Promise<T> {
    const ctx: OrangeErrorContext = { url: `${base}${SERVICE_PATHS[service]}`, operation, ...extra }
    const res = await http.request({
      method: 'POST',
      path: SERVICE_PATHS[service],
      // WSDL `<soap:operation/>` names no soapAction: SOAP 1.1 then sends an empty one (the URL names the service).
      headers: { authorization, 'content-type': 'text/xml; charset=utf-8', soapaction: '""', accept: 'text/xml' },
      body: buildEnvelope(body),
      idempotent: !submission,
      signal,
    })
    const answer = res.isHtml() ? ({ kind: 'unreadable' } as const) : readEnvelope(res.text, operation)
    if (answer.kind === 'fault') throw faultError(answer.fault, ctx)
    if (answer.kind === 'result' && res.status >= 200 && res.status < 300) {
      try {
        return read(answer.body)
      } catch (e) {
        if (!(e instanceof WireError)) throw e
        if (submission) throw submissionUnknown(http.baseUrl.host, operation, `an answer without a readable ticket: ${e.message}`)
        throw badAnswer(ctx, e.message)
      }
    }
    if (submission && (res.status >= 500 || (res.status >= 200 && res.status < 300))) {
      throw submissionUnknown(http.baseUrl.host, operation, `HTTP ${res.status} without a SOAP answer`)
    }
    if (res.status >= 200 && res.status < 300) throw notOrange(res, ctx)
    throw httpError(res, ctx)
  }

  function toSim(line: OrangeLine, asked: string): Sim {
    const serialNumber = line.sim?.serialNumber ?? asked
    const sim = line.sim
    return {
      ...blankSim('orange', line.iccid ?? orangeIccidFromSerial(serialNumber), now().toISOString()),
      status: normaliseOrangeStatus(sim?.statusRaw),
      statusRaw: sim?.statusRaw ?? null,
      imsi: line.imsi,
      msisdn: line.subscription.msisdnData,
      imei: sim?.imei ?? null,
      orange: {
        serialNumber,
        iccidReported: line.iccid !== null,
        suspensionReason: sim?.suspensionReason ?? null,
        lastStatusChangeDate: sim?.lastStatusChangeDate ?? null,
        lastStatusRefreshDate: sim?.lastStatusRefreshDate ?? null,
        requestedStatus: sim?.requestedStatus ?? null,
        statusChangeRequestDate: sim?.statusChangeRequestDate ?? null,
        customerEnvironment: line.customerEnvironmentIdentifier,
        subscription: line.subscription.identifier,
        position: line.position,
        location: null,
      },
    }
  }

  async function connectivityDirectory(serialNumbers: string[], options: { signal?: AbortSignal } = {}): Promise<{ sims: Sim[]; unknown: string[] }> {
    if (serialNumbers.length === 0) throw AppError.withRef('VALIDATION', 'No serial number given', { key: 'orange.invalidSerial', params: { serial: '' } })
    serialNumbers.forEach(checkSerialNumber)
    const body = el(NS.ws, 'getConnectivityDirectory', [
      el(
        NS.cd,
        'lineIdentifiers',
        serialNumbers.map((s) => el(NS.common, 'simSerialNumber', s)),
      ),
      el(NS.cd, 'showIccid', 'true'),
      el(NS.cd, 'showImsi', 'true'),
    ])
    const answer = await call('connectivityDirectory', 'getConnectivityDirectory', body, readDirectoryAnswer, { serialNumber: serialNumbers[0]! }, false, options.signal)
    const sims = answer.lines.map((line) => {
      const asked = line.sim?.serialNumber ?? (serialNumbers.length === 1 ? serialNumbers[0]! : null)
      if (asked === null) throw badAnswer({ url: base, operation: 'getConnectivityDirectory' }, 'a line without its SIM serial number')
      return toSim(line, asked)
    })
    return { sims, unknown: answer.unknown }
  }

  function searchBody(query: OrangeSearch, rangeStart: number, rangeSize: number): XmlElement {
    const criteria: XmlElement[] = []
    if (query.serialNumber !== undefined) {
      checkSerialNumber(query.serialNumber)
      criteria.push(el(NS.cd, 'simSerialNumber', query.serialNumber))
    }
    for (const s of query.statuses ?? []) criteria.push(el(NS.cd, 'simStatus', s))
    if (query.statusChangedSince !== undefined) criteria.push(el(NS.cd, 'simStatusChangeMinDate', formatRequestDateTime(query.statusChangedSince)))
    if (query.statusChangedUntil !== undefined) criteria.push(el(NS.cd, 'simStatusChangeMaxDate', formatRequestDateTime(query.statusChangedUntil)))
    const sort = query.sort ?? [{ attribute: 'SIM_SSN', order: 'ASC' }]
    if (sort.length > 2) throw AppError.withRef('VALIDATION', 'At most two sort criteria', { key: 'orange.tooManySorts' })
    return el(NS.ws, 'searchInConnectivityDirectory', [
      ...(criteria.length > 0 ? [el(NS.cd, 'searchCriterion', criteria)] : []),
      el(NS.cd, 'showImsi', 'true'),
      el(NS.cd, 'rangeSize', String(rangeSize)),
      el(NS.cd, 'rangeStart', String(rangeStart)),
      ...sort.map((s) => el(NS.cd, 'sortCriterion', [el(NS.cd, 'order', s.order), el(NS.cd, 'attribute', s.attribute)])),
    ])
  }

  async function searchPage(query: OrangeSearch, rangeStart: number, options: { signal?: AbortSignal } = {}): Promise<OrangeSearchPage> {
    const rangeSize = query.rangeSize ?? MAX_RANGE_SIZE
    if (!Number.isInteger(rangeSize) || rangeSize < 1 || rangeSize > MAX_RANGE_SIZE) {
      throw AppError.withRef('VALIDATION', `The page size must be 1 to ${MAX_RANGE_SIZE}`, { key: 'carrier.invalidPageSize', params: { max: MAX_RANGE_SIZE } })
    }
    const answer = await call('connectivityDirectory', 'searchInConnectivityDirectory', searchBody(query, rangeStart, rangeSize), readSearchAnswer, {}, false, options.signal)
    return {
      rangeStart,
      totalResultsNumber: answer.totalResultsNumber,
      resultsNumberExceeded: answer.resultsNumberExceeded,
      rows: answer.lines.map((l) => ({
        serialNumber: l.sim?.serialNumber ?? null,
        iccid: l.iccid,
        imsi: l.imsi,
        status: l.sim?.status ?? null,
        statusRaw: l.sim?.statusRaw ?? null,
        lastStatusChangeDate: l.sim?.lastStatusChangeDate ?? null,
        lastStatusRefreshDate: l.sim?.lastStatusRefreshDate ?? null,
        requestedStatus: l.sim?.requestedStatus ?? null,
        subscription: l.subscription.identifier,
      })),
    }
  }

  /** A submission answer: a ticket for the line, or the precise reason there is none. */
  function ticketOf(answer: SubmitAnswer, serialNumber: string, operation: string): { ticketNumber: number } {
    if (answer.unknown.includes(serialNumber)) {
      throw unknownSerial(serialNumber)
    }
    const refused = answer.refused[0]
    if (refused) {
      throw AppError.withRef(
        'CARRIER',
        `Orange refused ${operation} for ${serialNumber}: ${refused.code} ${refused.message}`,
        { key: 'orange.lineRefused', params: { serial: serialNumber, code: refused.code, message: refused.message.slice(0, 200) } },
        { carrierCode: refused.code.slice(0, 100), carrierMessage: refused.message.slice(0, 500) },
      )
    }
    if (answer.ticketNumber === null) throw submissionUnknown(http.baseUrl.host, operation, 'an answer without a ticket number')
    return { ticketNumber: answer.ticketNumber }
  }

  return {
    baseUrl: base,

    async getSim(serialNumber, options) {
      const { sims, unknown } = await connectivityDirectory([serialNumber], options)
      const sim = sims.find((s) => s.orange?.serialNumber === serialNumber)
      if (!sim || unknown.includes(serialNumber)) {
        throw unknownSerial(serialNumber)
      }
      return sim
    },

    connectivityDirectory,
    searchPage,

    async *search(query) {
      const seen = new Set<string>()
      let rangeStart = 0
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await searchPage(query, rangeStart)
        // [I] rangeStart is read as 0-based: if Orange counts from 1, pages overlap by one line (dropped here as a
        // repeat) rather than skipping one.
        const fresh = result.rows.filter((r) => {
          const key = r.serialNumber ?? `subscription:${r.subscription}`
          if (seen.has(key)) return false
          seen.add(key)
          return true
        })
        yield { ...result, rows: fresh }
        rangeStart += result.rows.length
        // A short page is the last one Orange will give, even when more lines match (resultsNumberExceeded).
        if (result.rows.length < (query.rangeSize ?? MAX_RANGE_SIZE) || rangeStart >= result.totalResultsNumber) return
      }
      throw badAnswer({ url: base, operation: 'searchInConnectivityDirectory' }, `more than ${MAX_PAGES} pages`)
    },

    async submitStatusChange(serialNumber, status, testMode) {
      checkSerialNumber(serialNumber)
      const body = el(NS.ws, 'submitUpdateSimStatusRequest', [
        el(NS.slm, 'lineIdentifiers', [el(NS.common, 'simSerialNumber', serialNumber)]),
        el(NS.slm, 'requestedStatus', status),
        ...(testMode === undefined ? [] : [el(NS.slm, 'testMode', testMode)]),
      ])
      const answer = await call('simLifecycleManagement', 'submitUpdateSimStatusRequest', body, readStatusSubmitAnswer, { serialNumber }, true)
      return ticketOf(answer, serialNumber, 'submitUpdateSimStatusRequest')
    },

    async statusTicket(ticketNumber) {
      checkTicketNumber(ticketNumber)
      const body = el(NS.ws, 'getUpdateSimStatusResult', [el(NS.slm, 'ticketNumber', String(ticketNumber))])
      return call('simLifecycleManagement', 'getUpdateSimStatusResult', body, readStatusTicketAnswer, { ticketNumber })
    },

    async submitLocation(serialNumber) {
      checkSerialNumber(serialNumber)
      const body = el(NS.ws, 'submitSimSupLoc', [el(NS.dis, 'lineIdentifiers', [el(NS.dis, 'simSerialNumber', serialNumber)])])
      const answer = await call('deviceInfo', 'submitSimSupLoc', body, readLocationSubmitAnswer, { serialNumber }, true)
      return ticketOf(answer, serialNumber, 'submitSimSupLoc')
    },

    async locationTicket(ticketNumber) {
      checkTicketNumber(ticketNumber)
      const body = el(NS.ws, 'getSimReport', [el(NS.dis, 'ticketNumber', String(ticketNumber))])
      return call('deviceInfo', 'getSimReport', body, readSimReportAnswer, { ticketNumber })
    },

    async verify() {
      // A one-line search: authenticated, reads nothing in particular, and answered with this envelope only by
      // Orange's ConnectivityDirectory. Transport failures (TLS, TIMEOUT, NETWORK) arrive from the http layer as they are.
      const page = await searchPage({ rangeSize: 1 }, 0)
      return { detail: `${base} · ${page.totalResultsNumber} lines` }
    },

    async close() {
      await http.close()
    },
  }
}
