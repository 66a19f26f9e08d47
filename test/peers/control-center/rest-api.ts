/**
 * Control Center REST v1 (docs/wire/control-center.md §1; AT&T's Control Center is the same API, §3).
 *
 * Error codes: those in §1.3 are used as written. Where the spec is silent the peer uses the codes that sit between
 * the confirmed ones in the Tele2 gem's error list (TELE2 in docs/wire/control-center.md), whose order matches every confirmed code (17–20, 23, 24, 28,
 * 30, 31); these are marked [I] below:
 *   10000011 required field missing · 10000012 date format invalid · 10000013 rate plan invalid ·
 *   10000014 communication plan invalid · 10000015 customer invalid · 10000016 overage limit override invalid ·
 *   10000027 to-date before from-date · 10000032 cycleStartDate not one of the last three cycles ·
 *   20000002 unknown smsMsgId (the resource-not-found family of 20000001).
 *
 * How requests are read, where the spec leaves it open ([I], each chosen to match what Cisco's own sample scripts,
 * cfalcken/cisco-iot-control-center, rely on against the real service, and nothing more lenient):
 * - A trailing slash names the same resource: REST/send_sms.py posts to `/devices/{iccid}/smsMessages/`. (The API is a
 *   Spring MVC application — its 401/405 texts are Spring's — and Spring matches a trailing slash by default.)
 * - An empty query value is the parameter omitted: REST/get_devices.py sends `accountId=` whenever no account is
 *   given, and Search Devices documents an omitted accountId as "the account associated with the user name"
 *   (Spring binds an empty string to a null Long, the type Cisco's published parameter lists give accountId). A
 *   required parameter left empty is therefore missing, not malformed. Unknown names are refused whatever their value.
 * - `fields=` lists names separated by commas; empty names are ignored, and a list with no name left selects nothing
 *   away: REST/get_rate_plans.py sends `fields=,` by default and prints whole rate plans.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { z } from 'zod'
import type { AccountState, DeviceEdit, PeerUser } from './account-state'
import { COMMUNICATION_PLANS, CUSTOMERS, RATE_PLANS, ZONES, isOverrideMode, isSimStatus, type CycleUsage, type Device } from './inventory'
import { htmlPage, parseCycleDate, parseRequestDateTime, restDate, restError, restJson, type ErrorBody, type PeerResponse } from './wire-format'

export interface ApiRequest {
  method: string
  url: URL
  headers: IncomingHttpHeaders
  body: Buffer
}

export const REST_PREFIX = '/rws/api/'

class RestFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.errorMessage)
  }
}

const fail = (status: number, errorCode: string, errorMessage: string): never => {
  throw new RestFailure(status, { errorMessage, errorCode })
}
const badRequest = (errorCode: string, errorMessage: string): never => fail(400, errorCode, errorMessage)

/** §1.3, confirmed body (OSGP test): note the plain hyphen, no trailing period. */
const unknownIccid = (): never => fail(404, '20000001', 'Resource not found - Invalid ICCID')

// ---------------------------------------------------------------------------------------------------------------
// Routing

interface Endpoint {
  run: (ctx: Ctx, params: string[]) => PeerResponse
  /** The query parameters it knows; any other name is refused with 10000028 (§1.3), whatever its value. */
  params: readonly string[]
}

interface Route {
  template: string
  pattern: RegExp
  methods: Record<string, Endpoint>
}

interface Ctx {
  state: AccountState
  user: PeerUser
  req: ApiRequest
  /** The query without its empty values (an empty value is the parameter omitted). */
  query: URLSearchParams
  now: number
}

const CUSTOM_FILTERS = [
  ...Array.from({ length: 10 }, (_, n) => `accountCustom${n + 1}`),
  ...Array.from({ length: 5 }, (_, n) => `operatorCustom${n + 1}`),
  ...Array.from({ length: 5 }, (_, n) => `customerCustom${n + 1}`),
]

const ROUTES: Route[] = [
  {
    template: '/devices',
    pattern: /^\/devices$/,
    methods: { GET: { run: searchDevices, params: ['modifiedSince', 'modifiedTill', 'accountId', 'status', 'pageSize', 'pageNumber', 'fields', ...CUSTOM_FILTERS] } },
  },
  {
    template: '/devices/{iccid}',
    pattern: /^\/devices\/([^/]+)$/,
    methods: { GET: { run: getDevice, params: ['fields'] }, PUT: { run: editDevice, params: [] } },
  },
  { template: '/devices/{iccid}/ctdUsages', pattern: /^\/devices\/([^/]+)\/ctdUsages$/, methods: { GET: { run: ctdUsages, params: ['fields'] } } },
  {
    template: '/devices/{iccid}/usageInZone',
    pattern: /^\/devices\/([^/]+)\/usageInZone$/,
    methods: { GET: { run: usageInZone, params: ['cycleStartDate', 'ratePlan', 'zone', 'isActiveRatePlan', 'fields'] } },
  },
  { template: '/devices/{iccid}/sessionInfo', pattern: /^\/devices\/([^/]+)\/sessionInfo$/, methods: { GET: { run: sessionInfo, params: ['fields'] } } },
  { template: '/devices/{iccid}/smsMessages', pattern: /^\/devices\/([^/]+)\/smsMessages$/, methods: { POST: { run: sendSms, params: [] } } },
  {
    template: '/smsMessages',
    pattern: /^\/smsMessages$/,
    methods: { GET: { run: searchSms, params: ['fromDate', 'toDate', 'iccid', 'accountId', 'msgType', 'pageSize', 'pageNumber', 'fields'] } },
  },
  { template: '/smsMessages/{smsMsgId}', pattern: /^\/smsMessages\/([^/]+)$/, methods: { GET: { run: getSms, params: ['messageEncoding', 'fields'] } } },
  { template: '/rateplans', pattern: /^\/rateplans$/, methods: { GET: { run: listRatePlans, params: ['accountId', 'pageSize', 'pageNumber', 'fields'] } } },
  { template: '/echo/{text}', pattern: /^\/echo\/([^/]+)$/, methods: { GET: { run: echo, params: [] } } },
]

function match(pathname: string): { route: Route; params: string[] } | null {
  if (!pathname.startsWith('/rws/api/v1/')) return null
  const rest = pathname.slice('/rws/api/v1'.length).replace(/(?<=.)\/$/, '')
  for (const route of ROUTES) {
    const m = route.pattern.exec(rest)
    if (m) return { route, params: m.slice(1) }
  }
  return null
}

/** Stats key: "GET /devices/{iccid}" etc., relative to /rws/api/v1. */
export function restRouteKey(method: string, pathname: string): string {
  const m = match(pathname)
  return m ? `${method} ${m.route.template}` : `${method} (unmatched REST)`
}

export function handleRest(state: AccountState, req: ApiRequest): PeerResponse {
  const auth = authenticate(state, req.headers.authorization)
  if ('status' in auth) return auth
  // [I] Spring's content negotiation: an Accept that excludes JSON gets 406 with an empty body.
  if (!acceptsJson(req.headers.accept)) return { status: 406, headers: {}, body: Buffer.alloc(0) }
  const now = state.now()
  state.settle(now)
  try {
    const version = /^\/rws\/api\/([^/]+)\//.exec(req.url.pathname)?.[1]
    if (version !== undefined && version !== 'v1') badRequest('10000024', `Invalid apiVersion: ${version}`)
    const m = match(req.url.pathname)
    // Tomcat's own 404 page for paths no controller maps: HTML, like the console host (§1.1).
    if (!m) return htmlPage(404)
    const endpoint = m.route.methods[req.method]
    if (!endpoint) {
      const allow = Object.keys(m.route.methods).join(', ')
      return restError(405, { errorMessage: `Request method '${req.method}' not supported` }, { allow })
    }
    const params = m.params.map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        return p
      }
    })
    allowParams(req.url.searchParams, endpoint.params)
    const query = new URLSearchParams([...req.url.searchParams].filter(([, value]) => value !== ''))
    return endpoint.run({ state, user: auth, req, query, now }, params)
  } catch (error) {
    if (error instanceof RestFailure) return restError(error.status, error.body)
    return restError(500, { errorMessage: 'Unknown server error', errorCode: '30000001' })
  }
}

/**
 * §1.1: no (Basic) credentials → 401 with the challenge and no errorCode; wrong ones → 10000001. A non-Basic
 * Authorization header (e.g. Bearer) is ignored by a Basic filter, so it counts as missing.
 */
function authenticate(state: AccountState, header: string | undefined): PeerUser | PeerResponse {
  const m = header ? /^Basic\s+(\S*)\s*$/i.exec(header) : null
  if (!m) {
    return restError(401, { errorMessage: 'Full authentication is required to access this resource' }, { 'www-authenticate': 'Basic realm="Jasper"' })
  }
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const username = decoded.slice(0, colon)
  const apiKey = decoded.slice(colon + 1)
  const user = colon < 0 ? undefined : state.users.find((u) => u.username === username && u.apiKey === apiKey)
  return user ?? restError(401, { errorMessage: 'Invalid credentials', errorCode: '10000001' })
}

// ---------------------------------------------------------------------------------------------------------------
// Shared validation

/** §1.3 10000028: the real API refuses what it does not know instead of ignoring it, so typos surface. */
function allowParams(query: URLSearchParams, allowed: readonly string[]): void {
  const unknown = [...new Set(query.keys())].filter((k) => !allowed.includes(k))
  if (unknown.length > 0) badRequest('10000028', `Invalid request: unrecognized parameter(s): ${unknown.join(', ')}`)
}

/**
 * §1.1: `fields=a,b,c` selects a partial response; unknown names are simply absent. Empty names are ignored and a
 * list without any name selects nothing away (see the top of this file).
 */
function select(value: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const wanted = new Set((query.get('fields') ?? '').split(',').filter((name) => name !== ''))
  if (wanted.size === 0) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => wanted.has(k)))
}

/** Whether an Accept header admits application/json (absent = anything); q=0 excludes a range. */
function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) return false
    return type === '*/*' || type === 'application/*' || type === 'application/json' || /^application\/[\w.+-]*\+json$/.test(type)
  })
}

function deviceIndex(ctx: Ctx, iccid: string): number {
  return ctx.state.inventory.indexOf(iccid) ?? unknownIccid()
}

/** §1.4: positive integers only; pageSize ≤ 50 (10000006), pageNumber ≥ 1 (10000007). */
function paging(query: URLSearchParams): { pageSize: number; pageNumber: number } {
  const size = query.get('pageSize')
  const number = query.get('pageNumber')
  const pageSize = size === null ? 50 : /^\d{1,9}$/.test(size) ? Number(size) : 0
  if (pageSize < 1 || pageSize > 50) badRequest('10000006', `Invalid pageSize: ${size ?? ''} (1 to 50)`)
  const pageNumber = number === null ? 1 : /^\d{1,9}$/.test(number) ? Number(number) : 0
  if (pageNumber < 1) badRequest('10000007', `Invalid pageNumber: ${number ?? ''}`)
  return { pageSize, pageNumber }
}

function checkAccountId(ctx: Ctx): void {
  const accountId = ctx.query.get('accountId')
  if (accountId !== null && accountId !== ctx.state.inventory.accountId) badRequest('10000004', `Invalid accountId: ${accountId}`)
}

/**
 * JSON bodies: Content-Type must say JSON ([I] Spring answers 415 otherwise), then well-formed JSON (10000023), then
 * a JSON object. Field checks follow per endpoint.
 */
function jsonBody(ctx: Ctx): Record<string, unknown> {
  // A body without Content-Type is application/octet-stream to the servlet container (RFC 9110 §8.3).
  const type = ctx.req.headers['content-type'] ?? 'application/octet-stream'
  if (!/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new RestFailure(415, { errorMessage: `Content type '${type}' not supported` })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(ctx.req.body.toString('utf8'))
  } catch {
    return badRequest('10000023', 'JSON not well formed')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return badRequest('10000023', 'JSON not well formed')
  return parsed as Record<string, unknown>
}

/**
 * Unknown body fields → 10000028 (the spec names the code for "unrecognized request parameter(s)"; a body field is a
 * request parameter of a PUT/POST, and ignoring e.g. "ratePlanName" would report success for an edit never made).
 * Wrong JSON types → 10000023 ([I] the body cannot be bound, like malformed JSON).
 */
function validateShape<T>(schema: z.ZodType<T>, body: Record<string, unknown>): T {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const unknown = result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []))
  if (unknown.length > 0) badRequest('10000028', `Invalid request: unrecognized parameter(s): ${unknown.join(', ')}`)
  const missing = result.error.issues.find((i) => i.code === 'invalid_type' && body[String(i.path[0])] === undefined)
  if (missing) badRequest('10000011', `Required field missing: ${missing.path.join('.')}`)
  return badRequest('10000023', `JSON not well formed: ${result.error.issues[0]?.path.join('.') ?? ''} has the wrong type`)
}

// ---------------------------------------------------------------------------------------------------------------
// Devices

function customRef(name: string): { field: 'accountCustom' | 'operatorCustom' | 'customerCustom'; n: number } | null {
  const m = /^(accountCustom|operatorCustom|customerCustom)(\d+)$/.exec(name)
  if (!m) return null
  return { field: m[1] as 'accountCustom' | 'operatorCustom' | 'customerCustom', n: Number(m[2]) }
}

/** §1.9. */
function searchDevices(ctx: Ctx): PeerResponse {
  const q = ctx.query
  const sinceText = q.get('modifiedSince')
  if (!sinceText) badRequest('10000003', 'Date-time missing: modifiedSince is required')
  const since = parseRequestDateTime(sinceText ?? '')
  if (since === null) badRequest('10000012', `Invalid date format for modifiedSince: ${sinceText ?? ''} (yyyy-MM-ddTHH:mm:ss+hh:mm, with '+' sent as %2B)`)
  const tillText = q.get('modifiedTill')
  const till = tillText === null ? null : parseRequestDateTime(tillText)
  if (tillText !== null && till === null) badRequest('10000012', `Invalid date format for modifiedTill: ${tillText}`)
  if (till !== null && since !== null && till < since) badRequest('10000027', 'modifiedTill must follow modifiedSince')
  checkAccountId(ctx)
  const status = q.get('status')
  if (status !== null && !isSimStatus(status)) badRequest('10000005', `Invalid SIM status: ${status}`)
  const { pageSize, pageNumber } = paging(q)
  const custom = CUSTOM_FILTERS.flatMap((name) => {
    const value = q.get(name)
    const ref = customRef(name)
    return value === null || ref === null ? [] : [{ ...ref, value }]
  })
  const result = ctx.state.inventory.search({ since: since ?? 0, till, status: status !== null && isSimStatus(status) ? status : null, custom }, pageSize, pageNumber)
  return restJson(200, {
    pageNumber,
    devices: result.devices.map((d) => select({ iccid: d.iccid, status: d.status, ratePlan: d.ratePlan, communicationPlan: d.communicationPlan }, q)),
    lastPage: result.lastPage,
  })
}

/** §1.6, fields and casing exactly as there (deviceID, modemID, fixedIPAddress). */
function deviceJson(d: Device, accountId: string): Record<string, unknown> {
  const custom = (prefix: string, values: (string | null)[]): Record<string, string | null> => Object.fromEntries(values.map((v, n) => [`${prefix}${n + 1}`, v]))
  return {
    iccid: d.iccid,
    imsi: d.imsi,
    msisdn: d.msisdn,
    imei: d.imei,
    status: d.status,
    ratePlan: d.ratePlan,
    communicationPlan: d.communicationPlan,
    customer: d.customer,
    endConsumerId: d.endConsumerId,
    dateActivated: restDate(d.dateActivated),
    dateAdded: restDate(d.dateAdded),
    dateUpdated: restDate(d.dateUpdated),
    dateShipped: restDate(d.dateShipped),
    accountId,
    fixedIPAddress: d.fixedIPAddress,
    fixedIpv6Address: d.fixedIpv6Address,
    ...custom('accountCustom', d.accountCustom),
    ...custom('operatorCustom', d.operatorCustom),
    ...custom('customerCustom', d.customerCustom),
    simNotes: d.simNotes,
    deviceID: d.deviceID,
    modemID: d.modemID,
    globalSimType: '',
    eid: d.eid,
    simProfileId: null,
  }
}

function getDevice(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const d = ctx.state.inventory.device(deviceIndex(ctx, iccid))
  return restJson(200, select(deviceJson(d, ctx.state.inventory.accountId), ctx.query))
}

const nullableText = z.string().nullable().optional()
const editSchema = z
  .object({
    status: z.string().optional(),
    ratePlan: z.string().optional(),
    communicationPlan: z.string().optional(),
    customer: nullableText,
    deviceID: nullableText,
    modemID: nullableText,
    overageLimitOverride: z.string().optional(),
    ipv4Address: z.string().optional(),
    ipv6Address: z.string().optional(),
    apn: z.string().optional(),
    pdpId: z.union([z.string(), z.number()]).optional(),
    effectiveDate: z.string().optional(),
    ...Object.fromEntries(CUSTOM_FILTERS.map((name) => [name, nullableText])),
  })
  .strict()

const DAY = 86_400_000

/**
 * Statuses a SIM does not leave. [I] No REST transition matrix is published (§1.7, §1.13); SOAP's
 * SIMSTATUS_INVALID_TRANSITION (§2.3) shows the platform refuses some. A retired SIM is the one end of life a console
 * offers no way back from (§5), so it is refused here rather than taken, with the status code of §1.3 (10000005) and
 * SOAP's token in the message; PURGED and REPLACED are not REST statuses the peer knows (§1.12).
 */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['RETIRED'])

/**
 * §1.7. Values are checked in the order a client is likeliest to get wrong. Other transitions than out of a final
 * status are taken [I: the spec has no REST matrix]; operator custom fields are the operator's (10000008, §1.3).
 */
function editDevice(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const body = validateShape(editSchema, jsonBody(ctx))
  const index = deviceIndex(ctx, iccid)
  const edit: DeviceEdit = {}
  const str = (key: string): string | null | undefined => body[key as keyof typeof body] as string | null | undefined
  const { status, ratePlan, communicationPlan, overageLimitOverride } = body
  if (status !== undefined) edit.status = isSimStatus(status) ? status : badRequest('10000005', `Invalid SIM status: ${status}`)
  if (ratePlan !== undefined) {
    edit.ratePlan = RATE_PLANS.some((p) => p.name === ratePlan) ? ratePlan : badRequest('10000013', `Invalid rate plan: ${ratePlan}`)
  }
  if (communicationPlan !== undefined) {
    edit.communicationPlan = COMMUNICATION_PLANS.includes(communicationPlan) ? communicationPlan : badRequest('10000014', `Invalid communication plan: ${communicationPlan}`)
  }
  if (body.customer !== undefined) {
    const customer = body.customer
    edit.customer = customer === null || customer === '' || CUSTOMERS.includes(customer) ? customer || null : badRequest('10000015', `Invalid customer: ${customer}`)
  }
  if (overageLimitOverride !== undefined) {
    edit.overageLimitOverride = isOverrideMode(overageLimitOverride)
      ? overageLimitOverride
      : badRequest('10000016', `Invalid overageLimitOverride: ${overageLimitOverride} (DEFAULT, TEMPORARY_OVERRIDE or PERMANENT_OVERRIDE)`)
  }
  if (body.deviceID !== undefined) edit.deviceID = body.deviceID
  if (body.modemID !== undefined) edit.modemID = body.modemID
  if (body.ipv4Address !== undefined || body.ipv6Address !== undefined) {
    if (body.apn === undefined || body.pdpId === undefined) badRequest('10000011', 'Required field missing: apn and pdpId are required with ipv4Address/ipv6Address')
    if (body.ipv4Address !== undefined) edit.fixedIPAddress = body.ipv4Address || null
    if (body.ipv6Address !== undefined) edit.fixedIpv6Address = body.ipv6Address || null
  }
  const custom: NonNullable<DeviceEdit['custom']> = []
  for (const name of CUSTOM_FILTERS) {
    const value = str(name)
    const ref = customRef(name)
    if (value === undefined || ref === null) continue
    if (ref.field === 'operatorCustom') badRequest('10000008', 'Your role does not have permission to edit the operator custom fields')
    custom.push({ ...ref, value })
  }
  if (custom.length > 0) edit.custom = custom
  if (Object.keys(edit).length === 0) badRequest('10000011', 'Required field missing: at least one field to edit')

  const at = effectiveInstant(ctx, body.effectiveDate)
  // The SIM's state is checked once the request itself is valid.
  const from = ctx.state.inventory.device(index).status
  if (edit.status !== undefined && edit.status !== from && FINAL_STATUSES.has(from)) {
    badRequest('10000005', `Invalid SIM status transition: ${from} to ${edit.status} (SIMSTATUS_INVALID_TRANSITION)`)
  }
  if (at > ctx.now) {
    ctx.state.schedule(index, edit, at)
    return restJson(202, { iccid })
  }
  ctx.state.applyEdit(index, edit, ctx.now)
  return restJson(200, { iccid })
}

/**
 * §1.7 effectiveDate: omitted = now; a date-time (§1.4 layout) or a plain date (UTC midnight) up to 180 days ahead.
 * [I] Today's date counts as immediate; earlier ones are refused like SOAP's INVALID_EFFECTIVE_DATE (§2.3).
 */
function effectiveInstant(ctx: Ctx, text: string | undefined): number {
  if (text === undefined) return ctx.now
  const at = parseRequestDateTime(text) ?? parseCycleDate(text)
  if (at === null) return badRequest('10000012', `Invalid date format for effectiveDate: ${text}`)
  const today = Math.floor(ctx.now / DAY) * DAY
  if (at < today) return badRequest('10000012', 'Invalid effectiveDate: cannot be in the past')
  if (at > ctx.now + 180 * DAY) return badRequest('10000012', 'Invalid effectiveDate: at most 180 days ahead')
  return Math.max(at, ctx.now)
}

/** §1.8: bytes for data, seconds for voice, MO+MT for SMS; the open cycle only (no cycle parameter). */
function ctdUsages(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const index = deviceIndex(ctx, iccid)
  const d = ctx.state.inventory.device(index)
  const usage = ctx.state.usage(index, ctx.state.inventory.cycleStartOf(ctx.now), ctx.now)
  return restJson(
    200,
    select(
      {
        iccid: d.iccid,
        imsi: d.imsi,
        msisdn: d.msisdn,
        imei: d.imei,
        status: d.status,
        ratePlan: d.ratePlan,
        communicationPlan: d.communicationPlan,
        ctdDataUsage: usage.dataBytes,
        ctdSMSUsage: usage.smsMO + usage.smsMT,
        ctdVoiceUsage: usage.voiceMO + usage.voiceMT,
        ctdSessionCount: usage.sessions,
        overageLimitReached: usage.dataBytes > usage.ratePlan.includedBytes,
        overageLimitOverride: d.overageLimitOverride,
      },
      ctx.query,
    ),
  )
}

/**
 * §1.8 usageInZone. cycleStartDate must be exactly the start of the current or one of the two previous cycles
 * ([I] omitted = the current cycle; a date inside a cycle is refused rather than rounded, so a client that sends the
 * wrong day learns it). Malformed dates → 10000012, out of range → 10000032 with the spec's message.
 */
function usageInZone(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const q = ctx.query
  const index = deviceIndex(ctx, iccid)
  const inventory = ctx.state.inventory
  const current = inventory.cycleStartOf(ctx.now)
  const text = q.get('cycleStartDate')
  let cycleStart = current
  if (text !== null) {
    // §1.4: usageInZone's layout is yyyy-MM-ddZ; a date without its zone is /usages' layout, not this one's.
    const parsed = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? parseCycleDate(text) : null
    if (parsed === null) badRequest('10000012', `Invalid date format for cycleStartDate: ${text} (yyyy-MM-ddZ)`)
    cycleStart = parsed ?? current
    const allowed = [current, inventory.addCycles(current, -1), inventory.addCycles(current, -2)]
    if (!allowed.includes(cycleStart)) badRequest('10000032', 'cycleStartDate must specify one of the last three billing cycles')
  }
  const zone = q.get('zone')
  if (zone !== null && !ZONES.includes(zone)) badRequest('10000031', `Invalid zone: ${zone}`)
  const ratePlan = q.get('ratePlan')
  if (ratePlan !== null && !RATE_PLANS.some((p) => p.name === ratePlan)) badRequest('10000013', `Invalid rate plan: ${ratePlan}`)
  const active = q.get('isActiveRatePlan')
  if (active !== null && active !== 'true' && active !== 'false') badRequest('10000028', `Invalid request: isActiveRatePlan must be true or false`)
  const usage = ctx.state.usage(index, cycleStart, ctx.now)
  const d = inventory.device(index)
  const planMatches = (ratePlan === null || ratePlan === usage.ratePlan.name) && (active !== 'true' || usage.ratePlan.name === d.ratePlan)
  const entries = planMatches ? zoneEntries(usage).filter((e) => zone === null || e.zone === zone) : []
  return restJson(
    200,
    select(
      {
        iccid: d.iccid,
        timeStamp: new Date(ctx.now).toISOString(),
        cycleStartDate: new Date(cycleStart).toISOString(),
        cycleEndDate: new Date(usage.cycleEnd - 1000).toISOString(),
        deviceCycleUsageInZones: entries.length > 0 ? { [`${usage.ratePlan.name}, ${usage.ratePlan.version}`]: entries } : {},
      },
      q,
    ),
  )
}

/** §1.8 example: absent usage is null (not 0) with a null unit; data is always in bytes. Voice unit "seconds" is [I]. */
function zoneEntries(usage: CycleUsage): (Record<string, unknown> & { zone: string })[] {
  const orNull = (n: number): number | null => (n > 0 ? n : null)
  return usage.zones.map((z) => ({
    ratePlan: usage.ratePlan.name,
    ratePlanVersion: usage.ratePlan.version,
    zone: z.zone,
    dataUsage: z.dataBytes,
    dataUsageUnit: 'bytes',
    voiceMOUsage: orNull(z.voiceMO),
    voiceMOUsageUnit: z.voiceMO > 0 ? 'seconds' : null,
    voiceMTUsage: orNull(z.voiceMT),
    voiceMTUsageUnit: z.voiceMT > 0 ? 'seconds' : null,
    smsMOUsage: orNull(z.smsMO),
    smsMTUsage: orNull(z.smsMT),
  }))
}

/** §1.11: ipv6Address only when the SIM has one; all null when it never connected. */
function sessionInfo(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const index = deviceIndex(ctx, iccid)
  const s = ctx.state.inventory.session(index, ctx.now)
  return restJson(
    200,
    select(
      {
        iccid,
        ipAddress: s.ipAddress,
        ...(s.ipv6Address !== null ? { ipv6Address: s.ipv6Address } : {}),
        apn: s.apn,
        dateSessionStarted: restDate(s.started),
        dateSessionEnded: restDate(s.ended),
      },
      ctx.query,
    ),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// SMS

const smsSchema = z
  .object({
    messageText: z.string(),
    messageEncoding: z.string().optional(),
    dataCoding: z.union([z.number(), z.string()]).optional(),
    tpvp: z.union([z.number(), z.string()]).optional(),
  })
  .strict()

/** §1.10 maximum length per dataCoding; 320 (two concatenated parts) when no dataCoding is given. */
const MAX_LENGTH: Record<number, number> = { 0: 160, 1: 160, 3: 160, 4: 140, 8: 70 }

/**
 * §1.13 [C: 3GPP TS 23.038]: GSM 03.38's default alphabet, row by row (0x00–0x7F), written here from the standard's
 * table rather than taken from Fieldline's own copy, and its extension table, whose characters take an escape and a
 * second septet: 160 septets is the limit with dataCoding 0, not 160 characters.
 */
const GSM_DEFAULT = new Set([...'@£$¥èéùìòÇ\nØø\rÅå', ...'Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ', ...' !"#¤%&\'()*+,-./0123456789:;<=>?', ...'¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§', ...'¿abcdefghijklmnopqrstuvwxyzäöñüà'])
const GSM_ESCAPED = new Set([...'\f^{}\\[~]|€'])

/**
 * The first character of a LITERAL text that its dataCoding cannot carry: outside GSM 03.38 for 0, ASCII (IA5) for 1,
 * Latin-1 for 3, one octet for binary (4); UCS2 (8) and no dataCoding carry any text.
 * [I] The service's answer to such a text is not documented (§1.13): refused as an invalid dataCoding for the text
 * (10000018, §1.3), since taking it would let a client send text the SIM receives as something else.
 */
function uncarried(text: string, dataCoding: number | null): string | null {
  if (dataCoding === null || dataCoding === 8) return null
  const max = dataCoding === 1 ? 0x7f : 0xff
  return [...text].find((c) => (dataCoding === 0 ? !GSM_DEFAULT.has(c) && !GSM_ESCAPED.has(c) : c.codePointAt(0)! > max)) ?? null
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** §1.10 send SMS: validation codes 10000017–10000020 exactly as the spec lists them. */
function sendSms(ctx: Ctx, [iccid = '']: string[]): PeerResponse {
  const body = validateShape(smsSchema, jsonBody(ctx))
  const index = deviceIndex(ctx, iccid)
  const encoding = body.messageEncoding ?? 'LITERAL'
  if (encoding !== 'LITERAL' && encoding !== 'BASE64') badRequest('10000017', `Invalid messageEncoding: ${encoding} (LITERAL or BASE64)`)
  let dataCoding: number | null = null
  if (body.dataCoding !== undefined) {
    const n = typeof body.dataCoding === 'number' ? body.dataCoding : /^\d+$/.test(body.dataCoding) ? Number(body.dataCoding) : NaN
    if (!(n in MAX_LENGTH)) badRequest('10000018', `Invalid dataCoding: ${String(body.dataCoding)} (0, 1, 3, 4 or 8)`)
    dataCoding = n
  }
  if (body.tpvp !== undefined) {
    const n = typeof body.tpvp === 'number' ? body.tpvp : /^\d+$/.test(body.tpvp) ? Number(body.tpvp) : NaN
    if (!Number.isInteger(n) || n < 0 || n > 255) badRequest('10000019', `Invalid tpvp: ${String(body.tpvp)}`)
  }
  if (body.messageText === '') badRequest('10000011', 'Required field missing: messageText')
  let payload: Buffer
  let text: string
  if (encoding === 'BASE64') {
    if (!BASE64.test(body.messageText)) badRequest('10000017', 'Invalid messageEncoding: messageText is not valid BASE64')
    payload = Buffer.from(body.messageText, 'base64')
    text = dataCoding === 8 ? Buffer.from(payload).swap16().toString('utf16le') : payload.toString(dataCoding === 3 || dataCoding === 4 ? 'latin1' : 'utf8')
  } else {
    text = body.messageText
    const character = uncarried(text, dataCoding)
    if (character !== null) badRequest('10000018', `Invalid dataCoding: ${dataCoding} cannot carry the character ${JSON.stringify(character)} of messageText`)
    payload = dataCoding === 8 ? Buffer.from(text, 'utf16le').swap16() : Buffer.from(text, dataCoding === 3 || dataCoding === 4 ? 'latin1' : 'utf8')
  }
  // UCS2 counts 16-bit units, binary counts octets, GSM 7-bit counts septets (§1.13), ASCII and Latin-1 characters.
  const septets = (t: string): number => [...t].reduce((n, c) => n + (GSM_ESCAPED.has(c) ? 2 : 1), 0)
  const length = dataCoding === 8 ? payload.length / 2 : dataCoding === 4 ? payload.length : dataCoding === 0 ? septets(text) : [...text].length
  const max = dataCoding === null ? 320 : (MAX_LENGTH[dataCoding] ?? 160)
  if (length > max) badRequest('10000020', `Message length exceeds the maximum permissible length (${length} > ${max})`)
  if (dataCoding === 8 && payload.length % 2 !== 0) badRequest('10000018', 'Invalid dataCoding: UCS2 payload has an odd number of bytes')
  const record = ctx.state.sms.send(ctx.state.inventory.device(index), text, payload, ctx.user.username, ctx.now)
  ctx.state.smsSent++
  return restJson(200, { smsMsgId: record.smsMsgId })
}

/**
 * Search SMS (§1.5; Cisco's "Search SMS" page): ids of the messages sent or received from fromDate (required) to
 * toDate (default now), oldest modification first, paged like Search Devices. [I] `pageNumber` and `lastPage` as in
 * every paged answer (§1.4); an unknown msgType is 10000028 (the code for a request parameter the API does not accept);
 * an ICCID outside the account is 20000001 (the page: "This device must be owned by the specified account").
 */
function searchSms(ctx: Ctx): PeerResponse {
  const q = ctx.query
  const fromText = q.get('fromDate')
  if (fromText === null) badRequest('10000003', 'Date-time missing: fromDate is required')
  const from = parseRequestDateTime(fromText ?? '')
  if (from === null) badRequest('10000012', `Invalid date format for fromDate: ${fromText ?? ''} (yyyy-MM-ddTHH:mm:ss+hh:mm, with '+' sent as %2B)`)
  const toText = q.get('toDate')
  const to = toText === null ? ctx.now : parseRequestDateTime(toText)
  if (to === null) badRequest('10000012', `Invalid date format for toDate: ${toText ?? ''}`)
  if (from !== null && to !== null && to < from) badRequest('10000027', 'toDate must follow fromDate')
  checkAccountId(ctx)
  const msgType = q.get('msgType')
  if (msgType !== null && msgType !== 'MO' && msgType !== 'MT') badRequest('10000028', `Invalid request: msgType must be MO or MT, not ${msgType}`)
  const iccid = q.get('iccid')
  if (iccid !== null) deviceIndex(ctx, iccid)
  const { pageSize, pageNumber } = paging(q)
  const sms = ctx.state.sms
  // Every message of the peer is MT (sent by Control Center), so an MO search finds none.
  const found = msgType === 'MO' ? [] : sms.all().filter((r) => r.sentAt >= (from ?? 0) && r.sentAt <= (to ?? ctx.now) && (iccid === null || r.iccid === iccid))
  const modified = (r: (typeof found)[number]): number => (sms.status(r, ctx.now) === 'Pending' ? r.sentAt : r.deliverAt)
  found.sort((a, b) => modified(a) - modified(b) || a.smsMsgId - b.smsMsgId)
  const start = (pageNumber - 1) * pageSize
  return restJson(200, select({ smsMsgIds: found.slice(start, start + pageSize).map((r) => r.smsMsgId), pageNumber, lastPage: start + pageSize >= found.length }, q))
}

/** §1.10 SMS details; messageEncoding chooses how messageText is returned (LITERAL default). */
function getSms(ctx: Ctx, [id = '']: string[]): PeerResponse {
  const encoding = ctx.query.get('messageEncoding') ?? 'LITERAL'
  if (encoding !== 'LITERAL' && encoding !== 'BASE64') badRequest('10000017', `Invalid messageEncoding: ${encoding} (LITERAL or BASE64)`)
  const record = /^\d{1,15}$/.test(id) ? ctx.state.sms.get(Number(id)) : undefined
  if (!record) return fail(404, '20000002', 'Resource not found - Invalid smsMsgId')
  const status = ctx.state.sms.status(record, ctx.now)
  return restJson(
    200,
    select(
      {
        smsMsgId: record.smsMsgId,
        status,
        messageText: encoding === 'BASE64' ? record.payload.toString('base64') : record.text,
        senderLogin: record.senderLogin,
        iccid: record.iccid,
        sentTo: record.iccid,
        sentFrom: 'Server',
        msgType: 'MT',
        dateSent: restDate(record.sentAt),
        dateReceived: status === 'Delivered' ? restDate(record.deliverAt) : null,
        dateModified: restDate(status === 'Pending' ? record.sentAt : record.deliverAt),
      },
      ctx.query,
    ),
  )
}

// ---------------------------------------------------------------------------------------------------------------

/** §1.5: AccountAdmin only (10000030 otherwise). Plan object fields beyond the name are [I]. */
function listRatePlans(ctx: Ctx): PeerResponse {
  if ((ctx.user.role ?? 'AccountAdmin') !== 'AccountAdmin') badRequest('10000030', 'Your role does not have access to this API function')
  checkAccountId(ctx)
  const { pageSize, pageNumber } = paging(ctx.query)
  const from = (pageNumber - 1) * pageSize
  const page = RATE_PLANS.slice(from, from + pageSize)
  return restJson(200, {
    ratePlans: page.map((p) => select({ ratePlanId: p.ratePlanId, name: p.name, version: p.version, type: p.type }, ctx.query)),
    lastPage: from + pageSize >= RATE_PLANS.length,
  })
}

function echo(ctx: Ctx, [text = '']: string[]): PeerResponse {
  return restJson(200, { context: text })
}
