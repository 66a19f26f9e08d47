/**
 * Client for Cisco IoT Control Center (Jasper) and AT&T Control Center, which is the same platform on another
 * host (docs/wire/control-center.md §1–3). REST (Basic user:apiKey) for everything it offers; the legacy SOAP Billing service
 * (WS-Security user:password + licence key) only for the usage of closed cycles older than REST's last three.
 */
import type { z } from 'zod'
import { isStrictBase64 } from '../../../../src-shared/models/base64'
import { SMS_MSG_ID_PATTERN } from '../../../../src-shared/models/sim'
import { AppError } from '../../common/errors'
import { createGovernor, type Governor } from '../../http/governor'
import { createHttpClient, type HttpClientOptions, type HttpMethod, type HttpResponse, type QueryValue } from '../../http/http-client'
import {
  calendarDateSchema,
  controlCenterStatusValue,
  megabytesToBytes,
  monthsBefore,
  normaliseControlCenterStatus,
  type CtdUsage,
  type CycleUsage,
  type OverageOverride,
  type RatePlan,
  type SessionInfo,
  type Sim,
  type SimStatus,
  type SimSummary,
  type SmsMessage,
} from '../sim-model'
import { badResponse, notControlCenter, readEnvelope, restError, soapFaultError, type ErrorContext } from './errors'
import { buildSoapRequest, parseSoapResponse } from './soap'
import { deriveControlCenterUrls, type ControlCenterUrls } from './urls'
import { SMS_MAX_LENGTH, SMS_UNCODED_MAX, sentSmsLength, smsRefusal, type SmsDataCoding } from '../../../../src-shared/models/sms-length'
import {
  ctdUsagesWire,
  deviceDetailsWire,
  editDeviceWire,
  ratePlansWire,
  searchDevicesWire,
  sendSmsWire,
  sessionInfoWire,
  smsDetailsWire,
  terminalUsageWire,
  usageInZoneWire,
  zoneUsageWire,
} from './wire'

export type ControlCenterCarrier = 'jasper' | 'atnt'

export interface ControlCenterClientOptions {
  carrier: ControlCenterCarrier
  /** A host (`restapi3.jasper.com`) or a full base URL (`https://rws-jpotest.jasper.com/rws/api/v1`). */
  baseUrl: string
  /** Where the SOAP API lives when it is not on the REST host (e.g. `api.jasper.com`); derived from baseUrl otherwise. */
  soapBaseUrl?: string
  username: string
  /** REST credential (per user, not the GUI password). */
  apiKey: string
  /** GUI password, for SOAP only. */
  password?: string
  /** Account API licence key, for SOAP only. */
  licenseKey?: string
  /** The account's governor, shared by every client of this account; one with Control Center's guidance otherwise. */
  governor?: Governor
  http?: Omit<HttpClientOptions, 'baseUrl' | 'governor' | 'service'>
  /** Clock for `fetchedAt` and for choosing REST or SOAP by cycle age; tests pin it. */
  now?: () => Date
}

/** Values of a SIM the operator can change (IBM's console offered these, §5); status in the normalised vocabulary. */
export interface DeviceChanges {
  status?: SimStatus
  ratePlan?: string
  communicationPlan?: string
  overageLimitOverride?: OverageOverride
}

export type SmsEncoding = 'LITERAL' | 'BASE64'
export type { SmsDataCoding }

export interface SmsOptions {
  encoding?: SmsEncoding
  dataCoding?: SmsDataCoding
  /** Validity period (GSM TP-VP, 0–255). */
  tpvp?: number
}

export interface DeviceSearch {
  /** SIMs changed at or after this instant (a Date, or an ISO 8601 string with an offset). */
  modifiedSince: Date | string
  modifiedTill?: Date | string
  status?: SimStatus
  /** 1–50 (Control Center's maximum, and its guidance). */
  pageSize?: number
  /** The page to start at (a sync resuming where it stopped); 1 by default. */
  startPage?: number
}

export interface DeviceSearchPage {
  pageNumber: number
  devices: SimSummary[]
  lastPage: boolean
}

export interface VerifyResult {
  restBaseUrl: string
  soapBaseUrl: string
  /** Whether the password and licence key for SOAP are configured (they are not checked by verify). */
  soapCredentials: boolean
}

/**
 * `signal`: the caller gives up on the call (a paused bulk job, a SIM inventory sync the operator stopped); it then fails
 * with the HTTP layer's `RequestAbandoned`.
 */
export interface CallOptions {
  signal?: AbortSignal
}

export interface ControlCenterClient {
  readonly carrier: ControlCenterCarrier
  readonly urls: ControlCenterUrls
  readonly hasSoapCredentials: boolean
  /** Device details plus, unless `usage: false`, month-to-date usage (a second call, ctdUsages). */
  getDevice(iccid: string, options?: { usage?: boolean } & CallOptions): Promise<Sim>
  editDevice(iccid: string, changes: DeviceChanges, options?: CallOptions): Promise<{ iccid: string }>
  ctdUsage(iccid: string, options?: CallOptions): Promise<CtdUsage>
  /** REST usage of one of the last three cycles, summed over zones. */
  usageInZone(iccid: string, cycleStartDate?: string, options?: CallOptions): Promise<CycleUsage>
  /** SOAP usage of a closed cycle. */
  terminalUsage(iccid: string, cycleStartDate: string, options?: CallOptions): Promise<CycleUsage>
  /** REST for the last three cycles, SOAP for older closed ones. */
  usageForCycle(iccid: string, cycleStartDate: string, options?: CallOptions): Promise<CycleUsage>
  sendSms(iccid: string, text: string, options?: SmsOptions): Promise<{ smsMsgId: string }>
  smsDetails(smsMsgId: string): Promise<SmsMessage>
  ratePlans(): Promise<RatePlan[]>
  searchDevices(query: DeviceSearch, options?: CallOptions): AsyncGenerator<DeviceSearchPage, void, undefined>
  sessionInfo(iccid: string, options?: CallOptions): Promise<SessionInfo>
  /** One cheap authenticated call that tells bad credentials, a wrong host, TLS, timeout and network apart. */
  verify(): Promise<VerifyResult>
  /**
   * An authenticated REST call for endpoints not wrapped above (auditTrails, locationHistory…), with the same
   * error mapping; `path` is relative to /rws/api/v1. A string body is sent as it is, anything else as JSON.
   */
  restRequest(method: HttpMethod, path: string, options?: { query?: Record<string, QueryValue>; body?: unknown }): Promise<unknown>
  close(): Promise<void>
}

const SETTABLE_STATUSES: readonly SimStatus[] = ['inventory', 'testReady', 'activationReady', 'activated', 'deactivated', 'retired']
const MAX_PAGES = 10_000
const ICCID = /^\d{18,22}$/

export function createControlCenterClient(options: ControlCenterClientOptions): ControlCenterClient {
  const carrier = options.carrier
  const service = carrier === 'atnt' ? 'AT&T Control Center' : 'Control Center'
  const urls = deriveControlCenterUrls(options.baseUrl, options.soapBaseUrl)
  // REST and SOAP are one account's calls: one governor for both, Control Center's guidance unless told otherwise.
  const governor = options.governor ?? createGovernor({ concurrency: 1, perSecond: 5 })
  // §1.2: the cap is calls per second and no Retry-After is documented, so a 429 pauses the account a whole second.
  const restHttp = createHttpClient({ ...options.http, baseUrl: urls.rest, governor, service, minBackOffMs: 1000 })
  const soapHttp = createHttpClient({ ...options.http, baseUrl: urls.soap, governor, service, minBackOffMs: 1000 })
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.apiKey}`, 'utf8').toString('base64')}`
  const soapCredentials = options.password && options.licenseKey ? { username: options.username, password: options.password, licenseKey: options.licenseKey } : null
  const now = options.now ?? (() => new Date())
  const base: ErrorContext = { service, apiUrl: urls.rest }

  async function send(method: HttpMethod, path: string, query: Record<string, QueryValue> | undefined, body: unknown, signal?: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' }
    let payload: string | undefined
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      payload = typeof body === 'string' ? body : JSON.stringify(body)
    }
    return restHttp.request({ method, path, query: query && withoutEmptyValues(query), headers, body: payload, signal })
  }

  /** A REST call whose success body must match `schema`; everything else becomes a mapped AppError. */
  async function rest<T>(
    operation: string,
    ctx: ErrorContext,
    schema: z.ZodType<T>,
    method: HttpMethod,
    path: string,
    query?: Record<string, QueryValue>,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await send(method, path, query, body, signal)
    if (res.status < 200 || res.status > 299) throw restError(res, ctx)
    return parseSuccess(res, operation, ctx, schema)
  }

  function parseSuccess<T>(res: HttpResponse, operation: string, ctx: ErrorContext, schema: z.ZodType<T>): T {
    const json = res.tryJson()
    if (json === undefined) throw notControlCenter(ctx, res)
    const parsed = schema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw badResponse(ctx, operation, issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid body')
    }
    return parsed.data
  }

  async function ctdUsage(iccid: string, callOptions?: CallOptions): Promise<CtdUsage> {
    checkIccid(iccid)
    const w = await rest('ctdUsages', { ...base, iccid }, ctdUsagesWire, 'GET', `/devices/${iccid}/ctdUsages`, undefined, undefined, callOptions?.signal)
    return {
      carrier,
      iccid: w.iccid,
      monthToDate: { dataBytes: w.ctdDataUsage, smsCount: w.ctdSMSUsage, voiceSeconds: w.ctdVoiceUsage, sessionCount: w.ctdSessionCount },
      overageLimitReached: w.overageLimitReached,
      overageLimitOverride: w.overageLimitOverride,
      fetchedAt: now().toISOString(),
    }
  }

  /** Without a date: the open cycle, whose start date the answer names (how a caller learns the cycle day). */
  async function usageInZone(iccid: string, cycleStartDate?: string, callOptions?: CallOptions): Promise<CycleUsage> {
    checkIccid(iccid)
    if (cycleStartDate !== undefined) checkCycleDate(cycleStartDate)
    // §1.4: usageInZone takes yyyy-MM-ddZ; the Z marks the date as UTC.
    const w = await rest(
      'usageInZone',
      { ...base, iccid },
      usageInZoneWire,
      'GET',
      `/devices/${iccid}/usageInZone`,
      cycleStartDate === undefined ? {} : { cycleStartDate: `${cycleStartDate}Z` },
      undefined,
      callOptions?.signal,
    )
    const startDate = cycleStartDate ?? w.cycleStartDate?.slice(0, 10)
    if (!startDate || !/^\d{4}-\d{2}-\d{2}$/.test(startDate)) {
      throw AppError.withRef('CARRIER', `${service} answered usageInZone without a cycle start date`, { key: 'carrier.badResponse', params: { operation: 'usageInZone' } })
    }
    // §1.8 writes usage that did not happen as null (a data-only SIM has null voice): it counts as 0 here.
    let dataBytes = 0
    let sms = 0
    let voice = 0
    let ratePlan: string | null = null
    for (const zones of Object.values(w.deviceCycleUsageInZones ?? {})) {
      for (const zone of zones) {
        ratePlan ??= zone.ratePlan
        if (zone.dataUsage != null) dataBytes += toBytes(zone.dataUsage, zone.dataUsageUnit, { ...base, iccid })
        for (const [value, unit] of [
          [zone.voiceMOUsage, zone.voiceMOUsageUnit],
          [zone.voiceMTUsage, zone.voiceMTUsageUnit],
        ] as const) {
          if (value != null) voice += toSeconds(value, unit, { ...base, iccid })
        }
        for (const count of zoneSms(zone)) sms += count
      }
    }
    return {
      carrier,
      iccid: w.iccid,
      cycleStartDate: startDate,
      billableDataBytes: null,
      totalDataBytes: Math.round(dataBytes),
      smsCount: sms,
      billableSmsCount: null,
      voiceSeconds: Math.round(voice),
      billableVoiceSeconds: null,
      billable: null,
      ratePlan,
      source: 'rest-usageInZone',
      fetchedAt: now().toISOString(),
    }
  }

  async function terminalUsage(iccid: string, cycleStartDate: string, callOptions?: CallOptions): Promise<CycleUsage> {
    checkIccid(iccid)
    checkCycleDate(cycleStartDate)
    if (!soapCredentials) {
      throw AppError.withRef('VALIDATION', `Reading usage through ${service}'s SOAP API needs the profile's password and API licence key`, { key: 'carrier.soapCredentialsMissing' })
    }
    const ctx: ErrorContext = { ...base, apiUrl: urls.soap, iccid }
    const { xml } = buildSoapRequest('GetTerminalUsage', { iccid, cycleStartDate }, soapCredentials)
    const res = await soapHttp.request({
      method: 'POST',
      path: '/billing',
      headers: { 'content-type': 'text/xml;charset=UTF-8', soapaction: '"http://api.jasperwireless.com/ws/service/billing/GetTerminalUsage"', accept: 'text/xml' },
      body: xml,
      // A read: repeating it after a lost answer is harmless, so it is retried like a GET.
      idempotent: true,
      signal: callOptions?.signal,
    })
    const answer = res.isHtml() ? ({ kind: 'unreadable' } as const) : parseSoapResponse(res.text, 'GetTerminalUsage')
    // §2.1: coded faults carry a number as faultstring; other faults are the SOAP stack refusing the request itself.
    if (answer.kind === 'fault') throw soapFaultError(answer.faultCode.slice(0, 100) || 'Client', answer.detail, ctx)
    if (answer.kind === 'unreadable') {
      if (res.status === 429 || res.status >= 500) throw restError(res, ctx)
      if (res.status === 404 || res.isHtml()) throw notControlCenter(ctx, res)
      throw badResponse(ctx, 'GetTerminalUsage', `HTTP ${res.status}`)
    }
    const parsed = terminalUsageWire.safeParse(answer.value)
    if (!parsed.success) throw badResponse(ctx, 'GetTerminalUsage', parsed.error.issues[0]?.path.join('.') ?? 'body')
    const w = parsed.data
    const number = (value: string | null | undefined, field: string): number | null => {
      if (value === null || value === undefined || value === '') return null
      if (!/^\d+(?:\.\d+)?$/.test(value)) throw badResponse(ctx, 'GetTerminalUsage', `${field}: not a number`)
      return Number(value)
    }
    const mb = (value: string | null | undefined, field: string): number | null => {
      const n = number(value, field)
      return n === null ? null : megabytesToBytes(n)
    }
    const whole = (value: string | null | undefined, field: string): number | null => {
      const n = number(value, field)
      return n === null ? null : Math.round(n)
    }
    return {
      carrier,
      iccid: w.iccid,
      cycleStartDate,
      billableDataBytes: mb(w.billableDataVolume, 'billableDataVolume'),
      totalDataBytes: mb(w.totalDataVolume, 'totalDataVolume') ?? 0,
      smsCount: whole(w.totalSMSVolume, 'totalSMSVolume'),
      billableSmsCount: whole(w.billableSMSVolume, 'billableSMSVolume'),
      voiceSeconds: whole(w.totalVoiceVolume, 'totalVoiceVolume'),
      billableVoiceSeconds: whole(w.billableVoiceVolume, 'billableVoiceVolume'),
      billable: w.billable === 'true' ? true : w.billable === 'false' ? false : null,
      ratePlan: w.ratePlan || null,
      source: 'soap-GetTerminalUsage',
      fetchedAt: now().toISOString(),
    }
  }

  return {
    carrier,
    urls,
    hasSoapCredentials: soapCredentials !== null,

    async getDevice(iccid, getOptions) {
      checkIccid(iccid)
      const ctx = { ...base, iccid }
      const w = await rest('getDevice', ctx, deviceDetailsWire, 'GET', `/devices/${iccid}`, undefined, undefined, getOptions?.signal)
      const usage = getOptions?.usage === false ? null : await ctdUsage(iccid, getOptions)
      return {
        carrier,
        iccid: w.iccid,
        status: normaliseControlCenterStatus(w.status),
        statusRaw: w.status,
        ratePlan: w.ratePlan,
        communicationPlan: w.communicationPlan,
        imsi: w.imsi,
        msisdn: w.msisdn,
        imei: w.imei,
        dateAdded: w.dateAdded,
        dateModified: w.dateUpdated,
        dateActivated: w.dateActivated,
        dateShipped: w.dateShipped,
        monthToDate: usage?.monthToDate ?? null,
        overageLimitReached: usage?.overageLimitReached ?? null,
        overageLimitOverride: usage?.overageLimitOverride ?? null,
        fetchedAt: now().toISOString(),
      }
    },

    async editDevice(iccid, changes, callOptions) {
      checkIccid(iccid)
      const body: Record<string, string> = {}
      if (changes.status !== undefined) {
        const value = SETTABLE_STATUSES.includes(changes.status) ? controlCenterStatusValue(changes.status) : undefined
        if (value === undefined) {
          throw AppError.withRef('VALIDATION', `A SIM cannot be set to ${changes.status} through ${service}`, {
            key: 'sim.statusNotSettable',
            params: { status: changes.status },
          })
        }
        body.status = value
      }
      for (const field of ['ratePlan', 'communicationPlan', 'overageLimitOverride'] as const) {
        const value = changes[field]
        if (value === undefined) continue
        if (value.trim() === '' || value.length > 200) {
          throw AppError.withRef('VALIDATION', `${field} must be 1 to 200 characters`, { key: 'sim.invalidChange', params: { field } })
        }
        body[field] = value
      }
      if (Object.keys(body).length === 0) throw AppError.withRef('VALIDATION', 'Nothing to change', { key: 'sim.noChanges' })
      const w = await rest('editDevice', { ...base, iccid }, editDeviceWire, 'PUT', `/devices/${iccid}`, undefined, body, callOptions?.signal)
      return { iccid: w.iccid }
    },

    ctdUsage,
    usageInZone,
    terminalUsage,

    async usageForCycle(iccid, cycleStartDate, callOptions) {
      checkIccid(iccid)
      checkCycleDate(cycleStartDate)
      const today = now().toISOString().slice(0, 10)
      if (cycleStartDate > today) {
        throw AppError.withRef('VALIDATION', `The cycle starting ${cycleStartDate} has not begun`, { key: 'sim.cycleInFuture', params: { cycleStartDate } })
      }
      // The last three cycles began less than three months ago; REST has them. Older closed cycles are SOAP's.
      if (cycleStartDate >= monthsBefore(today, 3)) {
        try {
          return await usageInZone(iccid, cycleStartDate, callOptions)
        } catch (e) {
          // Month lengths make the boundary fuzzy by a day or two: REST then says so, and SOAP is asked instead.
          if (!(e instanceof AppError && isOutsideLastThreeCycles(e))) throw e
        }
      }
      if (!soapCredentials) {
        throw AppError.withRef(
          'VALIDATION',
          `${service}'s REST API only has the last three cycles; usage of the cycle starting ${cycleStartDate} needs the SOAP API's password and licence key in the profile`,
          { key: 'sim.olderCycleNeedsSoap', params: { cycleStartDate } },
        )
      }
      return terminalUsage(iccid, cycleStartDate, callOptions)
    },

    async sendSms(iccid, text, smsOptions = {}) {
      checkIccid(iccid)
      checkSms(text, smsOptions)
      const body: Record<string, string | number> = { messageText: text }
      if (smsOptions.encoding !== undefined) body.messageEncoding = smsOptions.encoding
      if (smsOptions.dataCoding !== undefined) body.dataCoding = smsOptions.dataCoding
      if (smsOptions.tpvp !== undefined) body.tpvp = smsOptions.tpvp
      const ctx: ErrorContext = { ...base, iccid }
      // The http layer already refuses to repeat this POST after an ambiguous failure (UNKNOWN_OUTCOME).
      const res = await send('POST', `/devices/${iccid}/smsMessages`, undefined, body)
      if (res.status >= 200 && res.status <= 299) {
        try {
          return { smsMsgId: parseSuccess(res, 'sendSms', ctx, sendSmsWire).smsMsgId }
        } catch {
          // Accepted, but without a readable id: the SMS was most likely sent; the operator must not resend blindly.
          throw smsUnknownOutcome(restHttp.baseUrl.host, `HTTP ${res.status} without a readable smsMsgId`)
        }
      }
      if (res.status >= 500) {
        // 30000002 says the SMS centre refused it (certainly not sent); any other server error may have come
        // after the message was queued.
        const { code, message } = readEnvelope(res)
        if (code !== '30000002') throw smsUnknownOutcome(restHttp.baseUrl.host, `HTTP ${res.status}${code ? ` ${code}` : ''}${message ? ` ${message}` : ''}`, code, message)
      }
      throw restError(res, ctx)
    },

    async smsDetails(smsMsgId) {
      if (!SMS_MSG_ID_PATTERN.test(smsMsgId)) {
        throw AppError.withRef('VALIDATION', `Not an SMS id: ${smsMsgId.slice(0, 40)}`, { key: 'sim.invalidSmsId', params: { smsMsgId: smsMsgId.slice(0, 40) } })
      }
      const w = await rest('smsDetails', { ...base, smsMsgId }, smsDetailsWire, 'GET', `/smsMessages/${smsMsgId}`)
      return {
        carrier,
        smsMsgId: w.smsMsgId,
        iccid: w.iccid,
        status: w.status,
        messageText: w.messageText,
        senderLogin: w.senderLogin,
        sentTo: w.sentTo,
        sentFrom: w.sentFrom,
        msgType: w.msgType,
        dateSent: w.dateSent,
        dateReceived: w.dateReceived,
        dateModified: w.dateModified,
        fetchedAt: now().toISOString(),
      }
    },

    async ratePlans() {
      const plans: RatePlan[] = []
      for (let pageNumber = 1; pageNumber <= MAX_PAGES; pageNumber++) {
        const w = await rest('ratePlans', base, ratePlansWire, 'GET', '/rateplans', { pageSize: 50, pageNumber })
        for (const p of w.ratePlans) plans.push({ name: p.name, id: p.ratePlanId ?? null, version: p.version == null ? null : String(p.version), type: p.type })
        // A missing lastPage, or an empty page, ends the listing rather than looping on a server that never says "last".
        if (w.lastPage !== false || w.ratePlans.length === 0) return plans
      }
      throw badResponse(base, 'ratePlans', `more than ${MAX_PAGES} pages`)
    },

    async *searchDevices(query, callOptions) {
      const pageSize = query.pageSize ?? 50
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) {
        throw AppError.withRef('VALIDATION', 'The page size must be 1 to 50', { key: 'carrier.invalidPageSize', params: { max: 50 } })
      }
      const params: Record<string, QueryValue> = { modifiedSince: formatRequestDateTime(query.modifiedSince) }
      if (query.modifiedTill !== undefined) params.modifiedTill = formatRequestDateTime(query.modifiedTill)
      if (query.status !== undefined) {
        const status = controlCenterStatusValue(query.status)
        if (status === undefined) {
          throw AppError.withRef('VALIDATION', `${service} has no SIM status ${query.status}`, { key: 'sim.statusNotSettable', params: { status: query.status } })
        }
        params.status = status
      }
      const startPage = query.startPage ?? 1
      if (!Number.isInteger(startPage) || startPage < 1 || startPage > MAX_PAGES) {
        throw AppError.withRef('VALIDATION', `The page number must be 1 to ${MAX_PAGES}`, { key: 'carrier.invalidPageNumber', params: { max: MAX_PAGES } })
      }
      for (let pageNumber = startPage; pageNumber <= MAX_PAGES; pageNumber++) {
        const w = await rest('searchDevices', base, searchDevicesWire, 'GET', '/devices', { ...params, pageSize, pageNumber }, undefined, callOptions?.signal)
        yield {
          pageNumber,
          devices: w.devices.map((d) => ({
            carrier,
            iccid: d.iccid,
            status: normaliseControlCenterStatus(d.status),
            statusRaw: d.status,
            ratePlan: d.ratePlan,
            communicationPlan: d.communicationPlan,
          })),
          lastPage: w.lastPage,
        }
        if (w.lastPage || w.devices.length === 0) return
      }
      throw badResponse(base, 'searchDevices', `more than ${MAX_PAGES} pages`)
    },

    async sessionInfo(iccid, callOptions) {
      checkIccid(iccid)
      const w = await rest('sessionInfo', { ...base, iccid }, sessionInfoWire, 'GET', `/devices/${iccid}/sessionInfo`, undefined, undefined, callOptions?.signal)
      return {
        carrier,
        iccid: w.iccid,
        ipAddress: w.ipAddress,
        ipv6Address: w.ipv6Address,
        apn: w.apn,
        dateSessionStarted: w.dateSessionStarted,
        dateSessionEnded: w.dateSessionEnded,
        inSession: w.dateSessionStarted !== null && w.dateSessionEnded === null,
        fetchedAt: now().toISOString(),
      }
    },

    async verify() {
      // A one-row search: authenticated, available to every role that can see SIMs, and answered in JSON only by a
      // Control Center API. Transport failures (TLS, TIMEOUT, NETWORK) arrive from the http layer as they are.
      const res = await send('GET', '/devices', { modifiedSince: '2000-01-01T00:00:00+00:00', pageSize: 1, pageNumber: 1 }, undefined)
      if (res.status >= 200 && res.status <= 299) {
        if (!searchDevicesWire.safeParse(res.tryJson()).success) throw notControlCenter(base, res)
      } else {
        const { code, message } = readEnvelope(res)
        if (code === null && message === null && res.status !== 401 && res.status !== 429 && res.status < 500) throw notControlCenter(base, res)
        throw restError(res, base)
      }
      return { restBaseUrl: urls.rest, soapBaseUrl: urls.soap, soapCredentials: soapCredentials !== null }
    },

    async restRequest(method, path, requestOptions = {}) {
      if (!path.startsWith('/') || path.includes('..')) {
        throw AppError.withRef('VALIDATION', 'The path must start with / and stay under the API', { key: 'carrier.invalidPath' })
      }
      const res = await send(method, path, requestOptions.query, requestOptions.body)
      if (res.status < 200 || res.status > 299) throw restError(res, base)
      if (res.text.trim() === '') return null
      const json = res.tryJson()
      if (json === undefined) throw notControlCenter(base, res)
      return json
    },

    async close() {
      await Promise.all([restHttp.close(), soapHttp.close()])
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * A query without its empty values: Cisco's documented requests leave an optional parameter out rather than send
 * `name=`, and whether a server reads `accountId=` as "no account" or as an invalid one is the server's choice.
 */
function withoutEmptyValues(query: Record<string, QueryValue>): Record<string, QueryValue> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== ''))
}

function checkIccid(iccid: string): void {
  // Digits only: the ICCID goes into the URL path, and Control Center ICCIDs are 18–22 digits (Luhn not required).
  if (!ICCID.test(iccid)) {
    throw AppError.withRef('VALIDATION', `Not an ICCID: ${iccid.slice(0, 40)}`, { key: 'sim.invalidIccid', params: { iccid: iccid.slice(0, 40) } })
  }
}

function checkCycleDate(date: string): void {
  if (!calendarDateSchema.safeParse(date).success) {
    throw AppError.withRef('VALIDATION', `A cycle start date is written YYYY-MM-DD (got ${date.slice(0, 40)})`, {
      key: 'sim.invalidCycleDate',
      params: { value: date.slice(0, 40) },
    })
  }
}

/**
 * §1.10 and §1.13 limits, checked before sending or queuing so the operator sees them at once. LITERAL text is measured
 * and refused as the panel does (sms-length.ts): in the coding asked for, else as sent without one, up to §1.10's 320.
 * BASE64 counts the decoded octets.
 */
export function checkSms(text: string, options: SmsOptions): void {
  if (text === '') throw AppError.withRef('VALIDATION', 'The SMS text is empty', { key: 'sim.smsEmpty' })
  if (options.dataCoding !== undefined && !(options.dataCoding in SMS_MAX_LENGTH)) {
    throw AppError.withRef('VALIDATION', `dataCoding must be 0, 1, 3, 4 or 8`, { key: 'sim.smsInvalidOption', params: { option: 'dataCoding' } })
  }
  if (options.tpvp !== undefined && !(Number.isInteger(options.tpvp) && options.tpvp >= 0 && options.tpvp <= 255)) {
    throw AppError.withRef('VALIDATION', 'tpvp must be an integer from 0 to 255', { key: 'sim.smsInvalidOption', params: { option: 'tpvp' } })
  }
  if (options.encoding === 'BASE64') {
    if (!isStrictBase64(text)) throw AppError.withRef('VALIDATION', 'The SMS text is not valid BASE64', { key: 'sim.smsInvalidEncoding' })
    let length = Buffer.from(text, 'base64').length
    if (options.dataCoding === 8) length /= 2
    const max = options.dataCoding === undefined ? SMS_UNCODED_MAX : SMS_MAX_LENGTH[options.dataCoding]
    if (length > max) throw smsTooLong(length, max, options.dataCoding === undefined)
    return
  }
  const refusal = smsRefusal(sentSmsLength(text, options.dataCoding))
  if (refusal?.key === 'sim.smsCharacter') {
    const { character, coding } = refusal.params
    throw AppError.withRef('VALIDATION', `“${character}” cannot be sent with data coding ${coding}: choose UCS-2 (8), or no data coding, to send it. Nothing was sent.`, refusal)
  }
  if (refusal) throw smsTooLong(refusal.params.length, refusal.params.max, refusal.key === 'sim.smsTooLongUncoded')
}

function smsTooLong(length: number, max: number, uncoded: boolean): AppError {
  const params = { length, max }
  if (uncoded) {
    return AppError.withRef('VALIDATION', `The SMS is too long: ${length}, at most ${max} without a data coding. Nothing was sent.`, {
      key: 'sim.smsTooLongUncoded',
      params,
    })
  }
  return AppError.withRef('VALIDATION', `The SMS is too long for its data coding: ${length}, at most ${max}. Nothing was sent.`, { key: 'sim.smsTooLong', params })
}

function smsUnknownOutcome(host: string, reason: string, carrierCode: string | null = null, carrierMessage: string | null = null): AppError {
  const extra: { carrierCode?: string; carrierMessage?: string } = {}
  if (carrierCode !== null) extra.carrierCode = carrierCode
  if (carrierMessage !== null) extra.carrierMessage = carrierMessage.slice(0, 500)
  return AppError.withRef(
    'UNKNOWN_OUTCOME',
    `The SMS may or may not have been sent (${reason}); it was not sent again. Check the SIM's SMS history before resending.`,
    { key: 'errors.unknownOutcome', params: { host } },
    extra,
  )
}

/** §1.4 request date-time, `yyyy-MM-ddTHH:mm:ss+00:00` in UTC (the http layer sends the '+' as %2B). */
export function formatRequestDateTime(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value
  if (Number.isNaN(date.getTime()) || (typeof value === 'string' && !/(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim()))) {
    throw AppError.withRef('VALIDATION', `Not a date-time with a time zone: ${String(value).slice(0, 40)}`, {
      key: 'carrier.invalidDateTime',
      params: { value: String(value).slice(0, 40) },
    })
  }
  return `${date.toISOString().slice(0, 19)}+00:00`
}

/** REST's refusal of a cycle it no longer keeps (§1.8: "cycleStartDate must specify one of the last three billing cycles"). */
function isOutsideLastThreeCycles(e: AppError): boolean {
  return e.code === 'VALIDATION' && /last three/i.test(e.details?.carrierMessage ?? '')
}

function toBytes(value: number, unit: string | null, ctx: ErrorContext): number {
  // §1.8 shows "bytes"; a null unit next to a number is read as bytes too, the documented default.
  const factor: Record<string, number> = { bytes: 1, byte: 1, b: 1, kb: 1024, mb: 1_048_576, gb: 1_073_741_824 }
  const f = factor[(unit ?? 'bytes').toLowerCase()]
  if (f === undefined) throw badResponse(ctx, 'usageInZone', `unknown data unit ${unit ?? ''}`)
  return value * f
}

function toSeconds(value: number, unit: string | null, ctx: ErrorContext): number {
  const factor: Record<string, number> = { seconds: 1, second: 1, sec: 1, s: 1, minutes: 60, minute: 60, min: 60 }
  const f = factor[(unit ?? 'seconds').toLowerCase()]
  if (f === undefined) throw badResponse(ctx, 'usageInZone', `unknown voice unit ${unit ?? ''}`)
  return value * f
}

/** The MO and MT SMS counters of a zone, whatever their key casing (`smsMOUsage` is not confirmed, §1.8). */
function zoneSms(zone: z.infer<typeof zoneUsageWire>): number[] {
  const out: number[] = []
  for (const [key, value] of Object.entries(zone)) {
    if (/^sms(mo|mt)usage$/i.test(key) && typeof value === 'number' && Number.isFinite(value) && value >= 0) out.push(Math.round(value))
  }
  return out
}
