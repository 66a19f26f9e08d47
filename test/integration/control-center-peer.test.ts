/**
 * Exercises the Control Center peer itself over real HTTP on 127.0.0.1, against docs/wire/control-center.md §1–3 and §7, so
 * client tests can trust what it says on the wire.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LATIN1_FAULT_MESSAGE, startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { luhnValid } from '../peers/control-center/wire-format'

const START = Date.UTC(2025, 2, 15, 12, 0, 0)
const REST_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0000$/
const ISO_FORM = 'application/json;charset=ISO-8859-1'

function clock(start = START): { now: () => Date; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start
  return { now: () => new Date(t), advance: (ms) => (t += ms), set: (ms) => (t = ms) }
}

const basic = (username: string, key: string): string => `Basic ${Buffer.from(`${username}:${key}`).toString('base64')}`
const OPS = basic('ops', 'test-api-key')

interface Reply {
  status: number
  headers: Headers
  bytes: Buffer
  text: string
  json: <T = Record<string, unknown>>() => T
}

/** Decodes by the declared charset, as a correct client must (errors are ISO-8859-1, §1.3). */
async function call(peer: ControlCenterPeer, path: string, init: RequestInit & { auth?: string | null } = {}): Promise<Reply> {
  const headers = new Headers(init.headers)
  const auth = init.auth === undefined ? OPS : init.auth
  if (auth !== null) headers.set('authorization', auth)
  const response = await fetch(peer.url + path, { ...init, headers })
  const bytes = Buffer.from(await response.arrayBuffer())
  const latin1 = /charset=ISO-8859-1/i.test(response.headers.get('content-type') ?? '')
  const text = latin1 ? bytes.toString('latin1') : bytes.toString('utf8')
  return { status: response.status, headers: response.headers, bytes, text, json: <T>() => JSON.parse(text) as T }
}

const rest = (peer: ControlCenterPeer, path: string, init: RequestInit & { auth?: string | null } = {}): Promise<Reply> => call(peer, `/rws/api/v1${path}`, init)

const putJson = (peer: ControlCenterPeer, path: string, body: unknown, method = 'PUT'): Promise<Reply> =>
  rest(peer, path, { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })

async function expectError(reply: Reply | Promise<Reply>, status: number, errorCode: string): Promise<string> {
  const r = await reply
  expect(r.status, r.text).toBe(status)
  expect(r.headers.get('content-type')).toBe(ISO_FORM)
  const body = r.json<{ errorMessage: string; errorCode?: string }>()
  expect(body.errorCode).toBe(errorCode)
  expect(typeof body.errorMessage).toBe('string')
  return body.errorMessage
}

interface SoapOptions {
  username?: string
  password?: string
  licenseKey?: string
  messageId?: string
  action?: string | null
  security?: boolean
}

/** A request shaped like Cisco's own Postman samples (§2.1). */
async function soap(peer: ControlCenterPeer, service: string, op: string, inner: string, o: SoapOptions = {}): Promise<{ status: number; xml: string; contentType: string }> {
  const security =
    o.security === false
      ? ''
      : `<wsse:Security soapenv:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
        `<wsse:UsernameToken><wsse:Username>${o.username ?? 'ops'}</wsse:Username>` +
        `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${o.password ?? 'test-password'}</wsse:Password>` +
        `</wsse:UsernameToken></wsse:Security>`
  const body =
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sch="http://api.jasperwireless.com/ws/schema">` +
    `<soapenv:Header>${security}</soapenv:Header><soapenv:Body><sch:${op}Request>` +
    `<sch:messageId>${o.messageId ?? 'msg-1'}</sch:messageId><sch:version>5.90</sch:version>` +
    `<sch:licenseKey>${o.licenseKey ?? 'test-license-key'}</sch:licenseKey>${inner}</sch:${op}Request></soapenv:Body></soapenv:Envelope>`
  const headers: Record<string, string> = { 'content-type': 'text/xml;charset=UTF-8' }
  if (o.action !== null) headers.soapaction = o.action ?? `"http://api.jasperwireless.com/ws/service/${service}/${op}"`
  const response = await fetch(`${peer.url}/ws/service/${service}`, { method: 'POST', headers, body })
  const bytes = Buffer.from(await response.arrayBuffer())
  const contentType = response.headers.get('content-type') ?? ''
  return { status: response.status, xml: /ISO-8859-1/i.test(contentType) ? bytes.toString('latin1') : bytes.toString('utf8'), contentType }
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<ns2:${name}>([^<]*)</ns2:${name}>`).exec(xml)?.[1]
const faultstring = (xml: string): string | undefined => /<faultstring[^>]*>([^<]*)<\/faultstring>/.exec(xml)?.[1]

interface Device {
  iccid: string
  status: string
  ratePlan: string
  dateUpdated: string
  [key: string]: unknown
}
interface SearchPage {
  pageNumber: number
  devices: { iccid: string; status: string; ratePlan: string; communicationPlan: string }[]
  lastPage: boolean
}
interface ZoneEntry {
  ratePlan: string
  ratePlanVersion: string
  zone: string
  dataUsage: number
  dataUsageUnit: string
  smsMOUsage: number | null
  smsMTUsage: number | null
  voiceMOUsage: number | null
  voiceMTUsage: number | null
}
interface UsageInZone {
  iccid: string
  timeStamp: string
  cycleStartDate: string
  cycleEndDate: string
  deviceCycleUsageInZones: Record<string, ZoneEntry[]>
}

const zoneTotals = (u: UsageInZone): { data: number; sms: number; voice: number } => {
  const entries = Object.values(u.deviceCycleUsageInZones).flat()
  return {
    data: entries.reduce((s, e) => s + e.dataUsage, 0),
    sms: entries.reduce((s, e) => s + (e.smsMOUsage ?? 0) + (e.smsMTUsage ?? 0), 0),
    voice: entries.reduce((s, e) => s + (e.voiceMOUsage ?? 0) + (e.voiceMTUsage ?? 0), 0),
  }
}

async function findByStatus(peer: ControlCenterPeer, status: string): Promise<string> {
  const page = (await rest(peer, `/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&status=${status}`)).json<SearchPage>()
  const first = page.devices[0]
  if (!first) throw new Error(`no ${status} device in the inventory`)
  return first.iccid
}

// ---------------------------------------------------------------------------------------------------------------

describe('Control Center peer: REST auth (§1.1)', () => {
  let peer: ControlCenterPeer
  beforeAll(async () => {
    peer = await startControlCenterPeer({
      users: [
        { username: 'ops', apiKey: 'test-api-key', password: 'test-password' },
        { username: 'viewer', apiKey: 'viewer-key', role: 'AccountUser' },
      ],
    })
  })
  afterAll(() => peer.close())

  it('answers a missing header with the Basic challenge and no errorCode', async () => {
    const r = await rest(peer, '/echo/hi', { auth: null })
    expect(r.status).toBe(401)
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="Jasper"')
    expect(r.headers.get('content-type')).toBe(ISO_FORM)
    expect(r.text).toBe('{"errorMessage":"Full authentication is required to access this resource"}')
  })

  it('treats a non-Basic scheme as no credentials', async () => {
    const r = await rest(peer, '/echo/hi', { auth: 'Bearer test-api-key' })
    expect(r.status).toBe(401)
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="Jasper"')
    expect(r.json()).toEqual({ errorMessage: 'Full authentication is required to access this resource' })
  })

  it.each([
    ['a wrong API key', basic('ops', 'nope')],
    ['an unknown user', basic('ghost', 'test-api-key')],
    ['the GUI password instead of the API key', basic('ops', 'test-password')],
    ['no colon in the decoded pair', `Basic ${Buffer.from('ops').toString('base64')}`],
  ])('refuses %s with 10000001', async (_name, header) => {
    const r = await rest(peer, '/echo/hi', { auth: header })
    expect(r.status).toBe(401)
    expect(r.text).toBe('{"errorMessage":"Invalid credentials","errorCode":"10000001"}')
    expect(r.headers.get('www-authenticate')).toBeNull()
  })

  it('accepts base64(username:apiKey) and echoes into context', async () => {
    const r = await rest(peer, '/echo/hello%20world')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json;charset=UTF-8')
    expect(r.json()).toEqual({ context: 'hello world' })
  })

  it('lists rate plans for an AccountAdmin and refuses an AccountUser with 10000030', async () => {
    const admin = await rest(peer, '/rateplans')
    expect(admin.status).toBe(200)
    const body = admin.json<{ ratePlans: { name: string }[]; lastPage: boolean }>()
    expect(body.ratePlans.map((p) => p.name)).toEqual(peer.ratePlans)
    expect(body.lastPage).toBe(true)
    await expectError(rest(peer, '/rateplans', { auth: basic('viewer', 'viewer-key') }), 400, '10000030')
    const paged = (await rest(peer, '/rateplans?pageSize=4&pageNumber=2')).json<{ ratePlans: { name: string }[]; lastPage: boolean }>()
    expect(paged.ratePlans.map((p) => p.name)).toEqual(peer.ratePlans.slice(4, 8))
    expect(paged.lastPage).toBe(true)
  })

  it('answers HTML 404 outside the API (a console host is not the API host) and for unmapped API paths', async () => {
    const consoleHost = await call(peer, '/', { auth: null })
    expect(consoleHost.status).toBe(404)
    expect(consoleHost.headers.get('content-type')).toMatch(/^text\/html/)
    expect(consoleHost.text).toContain('404 Not Found')
    const unmapped = await rest(peer, '/nothing/here')
    expect(unmapped.status).toBe(404)
    expect(unmapped.headers.get('content-type')).toMatch(/^text\/html/)
    // Authentication still comes first on API paths.
    expect((await rest(peer, '/nothing/here', { auth: null })).status).toBe(401)
  })

  it('refuses another API version with 10000024', async () => {
    await expectError(call(peer, '/rws/api/v2/echo/hi'), 400, '10000024')
  })
})

describe('Control Center peer: devices (§1.6, §1.7, §1.9)', () => {
  let peer: ControlCenterPeer
  const time = clock()
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 120, now: time.now })
  })
  afterAll(() => peer.close())

  it('seeds string ICCIDs of 19–20 digits, unique, most passing Luhn and a few failing it as real carrier data does', () => {
    expect(peer.iccids).toHaveLength(120)
    expect(new Set(peer.iccids).size).toBe(120)
    for (const iccid of peer.iccids) expect(iccid).toMatch(/^89\d{17,18}$/)
    const valid = peer.iccids.filter(luhnValid).length
    // E.118 ends an ICCID with its Luhn digit: a fleet mostly passes; some issuers' filler digit does not (§1.13 [I]).
    expect(valid).toBeGreaterThan(96)
    expect(valid).toBeLessThan(120)
    expect(peer.iccids.some((i) => i.length === 19)).toBe(true)
    expect(peer.iccids.some((i) => i.length === 20)).toBe(true)
  })

  it('returns the §1.6 device object with its exact field names, casing and date format', async () => {
    const iccid = await findByStatus(peer, 'ACTIVATED')
    const d = (await rest(peer, `/devices/${iccid}`)).json<Device>()
    expect(Object.keys(d)).toEqual([
      'iccid',
      'imsi',
      'msisdn',
      'imei',
      'status',
      'ratePlan',
      'communicationPlan',
      'customer',
      'endConsumerId',
      'dateActivated',
      'dateAdded',
      'dateUpdated',
      'dateShipped',
      'accountId',
      'fixedIPAddress',
      'fixedIpv6Address',
      ...Array.from({ length: 10 }, (_, n) => `accountCustom${n + 1}`),
      ...Array.from({ length: 5 }, (_, n) => `operatorCustom${n + 1}`),
      ...Array.from({ length: 5 }, (_, n) => `customerCustom${n + 1}`),
      'simNotes',
      'deviceID',
      'modemID',
      'globalSimType',
      'eid',
      'simProfileId',
    ])
    expect(d.iccid).toBe(iccid)
    expect(d.imsi).toMatch(/^\d{15}$/)
    expect(d.msisdn).toMatch(/^\d{15}$/)
    for (const key of ['dateActivated', 'dateAdded', 'dateUpdated', 'dateShipped']) expect(d[key]).toMatch(REST_DATE)
    expect(typeof d.accountId).toBe('string')
  })

  it('supports fields= partial responses', async () => {
    const r = await rest(peer, `/devices/${peer.iccids[0]}?fields=iccid,status`)
    expect(Object.keys(r.json())).toEqual(['iccid', 'status'])
  })

  it.each(['', '/ctdUsages', '/usageInZone', '/sessionInfo'])('answers 404 20000001 for an unknown ICCID on GET /devices/{iccid}%s', async (suffix) => {
    const r = await rest(peer, `/devices/8901170000000000000${suffix}`)
    expect(r.status).toBe(404)
    expect(r.headers.get('content-type')).toBe(ISO_FORM)
    expect(r.text).toBe('{"errorMessage":"Resource not found - Invalid ICCID","errorCode":"20000001"}')
  })

  it('answers 404 20000001 for PUT and SMS to an unknown ICCID', async () => {
    await expectError(putJson(peer, '/devices/8901170000000000000', { status: 'ACTIVATED' }), 404, '20000001')
    await expectError(putJson(peer, '/devices/8901170000000000000/smsMessages', { messageText: 'hi' }, 'POST'), 404, '20000001')
  })

  it('refuses unknown query parameters with 10000028', async () => {
    await expectError(rest(peer, `/devices/${peer.iccids[0]}?verbose=true`), 400, '10000028')
    const message = await expectError(rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&limit=5'), 400, '10000028')
    expect(message).toContain('limit')
  })

  it('validates search parameters: modifiedSince (10000003), status (10000005), pageSize (10000006), pageNumber (10000007)', async () => {
    const since = 'modifiedSince=2000-01-01T00:00:00%2B00:00'
    await expectError(rest(peer, '/devices'), 400, '10000003')
    await expectError(rest(peer, '/devices?modifiedSince='), 400, '10000003')
    await expectError(rest(peer, `/devices?${since}&status=ACTIVE`), 400, '10000005')
    for (const size of ['51', '0', 'ten', '-1']) await expectError(rest(peer, `/devices?${since}&pageSize=${size}`), 400, '10000006')
    for (const n of ['0', 'x', '-2']) await expectError(rest(peer, `/devices?${since}&pageNumber=${n}`), 400, '10000007')
    await expectError(rest(peer, `/devices?${since}&accountId=1`), 400, '10000004')
  })

  it("treats an unencoded '+' (decoded to a space) as a malformed date: 10000012", async () => {
    const message = await expectError(rest(peer, '/devices?modifiedSince=2016-04-18T17:31:34+00:00'), 400, '10000012')
    expect(message).toContain('%2B')
    expect((await rest(peer, '/devices?modifiedSince=2016-04-18T17:31:34Z')).status).toBe(200)
    await expectError(rest(peer, '/devices?modifiedSince=2016-04-18'), 400, '10000012')
    await expectError(rest(peer, '/devices?modifiedSince=2016-04-18T00:00:00%2B00:00&modifiedTill=2015-01-01T00:00:00%2B00:00'), 400, '10000027')
  })

  it('pages 120 devices by 50 up to lastPage, oldest modification first', async () => {
    const seen: SearchPage['devices'] = []
    const pages: SearchPage[] = []
    for (let n = 1; n < 10; n++) {
      const page = (await rest(peer, `/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageSize=50&pageNumber=${n}`)).json<SearchPage>()
      pages.push(page)
      seen.push(...page.devices)
      if (page.lastPage) break
    }
    expect(pages.map((p) => [p.pageNumber, p.devices.length, p.lastPage])).toEqual([
      [1, 50, false],
      [2, 50, false],
      [3, 20, true],
    ])
    expect(new Set(seen.map((d) => d.iccid))).toEqual(new Set(peer.iccids))
    expect(Object.keys(seen[0] ?? {})).toEqual(['iccid', 'status', 'ratePlan', 'communicationPlan'])
    const updated = await Promise.all(seen.map(async (d) => (await rest(peer, `/devices/${d.iccid}`)).json<Device>().dateUpdated))
    expect(updated).toEqual([...updated].sort())
    const beyond = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageNumber=9')).json<SearchPage>()
    expect(beyond).toEqual({ pageNumber: 9, devices: [], lastPage: true })
  })

  it('filters by status and by modifiedSince', async () => {
    const active = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&status=DEACTIVATED')).json<SearchPage>()
    expect(active.devices.length).toBeGreaterThan(0)
    for (const d of active.devices) expect(d.status).toBe('DEACTIVATED')
    const all = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageNumber=2')).json<SearchPage>()
    const pivot = (await rest(peer, `/devices/${all.devices[0]?.iccid ?? ''}`)).json<Device>().dateUpdated
    const since = encodeURIComponent(`${pivot.slice(0, 10)}T${pivot.slice(11, 19)}+00:00`)
    const later = (await rest(peer, `/devices?modifiedSince=${since}&pageSize=50`)).json<SearchPage>()
    for (const d of later.devices) expect((await rest(peer, `/devices/${d.iccid}`)).json<Device>().dateUpdated >= pivot.slice(0, 19)).toBe(true)
  })

  it('PUT changes status and rate plan, returns {iccid}, updates dateUpdated and moves the SIM to the end of the search order', async () => {
    const first = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageSize=1')).json<SearchPage>().devices[0]
    const iccid = first?.iccid ?? ''
    const r = await putJson(peer, `/devices/${iccid}`, { status: 'DEACTIVATED', ratePlan: 'hphlr rp1' })
    expect(r.status).toBe(200)
    expect(r.json()).toEqual({ iccid })
    const d = (await rest(peer, `/devices/${iccid}`)).json<Device>()
    expect(d.status).toBe('DEACTIVATED')
    expect(d.ratePlan).toBe('hphlr rp1')
    expect(d.dateUpdated).toBe('2025-03-15 12:00:00.000+0000')
    const recent = (await rest(peer, '/devices?modifiedSince=2025-01-01T00:00:00%2B00:00')).json<SearchPage>()
    expect(recent.devices.map((x) => x.iccid)).toEqual([iccid])
    const last = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageNumber=3')).json<SearchPage>()
    expect(last.devices.at(-1)?.iccid).toBe(iccid)
    expect(peer.stats().statusChanges).toContainEqual({ iccid, status: 'DEACTIVATED', at: '2025-03-15T12:00:00.000Z' })
  })

  it('validates PUT bodies: 10000023, 10000028, 10000011, 10000005, 10000013, 10000014, 10000016, 10000008 and 415', async () => {
    const path = `/devices/${peer.iccids[1]}`
    await expectError(putJson(peer, path, '{"status": "ACTIVATED"'), 400, '10000023')
    await expectError(putJson(peer, path, '["ACTIVATED"]'), 400, '10000023')
    await expectError(putJson(peer, path, { status: 7 }), 400, '10000023')
    expect(await expectError(putJson(peer, path, { status: 'ACTIVATED', ratePlanName: 'x' }), 400, '10000028')).toContain('ratePlanName')
    await expectError(putJson(peer, path, {}), 400, '10000011')
    await expectError(putJson(peer, path, { status: 'SUSPENDED' }), 400, '10000005')
    await expectError(putJson(peer, path, { ratePlan: 'No Such Plan' }), 400, '10000013')
    await expectError(putJson(peer, path, { communicationPlan: 'CP_Nope' }), 400, '10000014')
    await expectError(putJson(peer, path, { overageLimitOverride: 'ALWAYS' }), 400, '10000016')
    await expectError(putJson(peer, path, { operatorCustom1: 'x' }), 400, '10000008')
    await expectError(putJson(peer, path, { effectiveDate: '2030-01-01', status: 'ACTIVATED' }), 400, '10000012')
    const wrongType = await rest(peer, path, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{"status":"ACTIVATED"}' })
    expect(wrongType.status).toBe(415)
  })

  it('accepts every settable status, overageLimitOverride, deviceID and modemID', async () => {
    const path = `/devices/${peer.iccids[2]}`
    for (const status of ['ACTIVATED', 'DEACTIVATED', 'TEST_READY', 'ACTIVATION_READY', 'INVENTORY', 'RETIRED']) {
      expect((await putJson(peer, path, { status })).status).toBe(200)
      expect((await rest(peer, path)).json<Device>().status).toBe(status)
    }
    expect((await putJson(peer, path, { overageLimitOverride: 'TEMPORARY_OVERRIDE', deviceID: 'meter-7', modemID: '2221' })).status).toBe(200)
    const d = (await rest(peer, path)).json<Device>()
    expect([d.deviceID, d.modemID]).toEqual(['meter-7', '2221'])
    expect((await rest(peer, `${path}/ctdUsages`)).json().overageLimitOverride).toBe('TEMPORARY_OVERRIDE')
  })

  it('keeps a retired SIM retired: another status is refused ([I] 10000005, SOAP’s SIMSTATUS_INVALID_TRANSITION) and changes nothing', async () => {
    const path = `/devices/${peer.iccids[2]}`
    expect((await putJson(peer, path, { status: 'RETIRED' })).status).toBe(200)
    const changes = peer.stats().statusChanges.length
    for (const status of ['ACTIVATED', 'DEACTIVATED', 'TEST_READY', 'ACTIVATION_READY', 'INVENTORY']) {
      await expectError(putJson(peer, path, { status }), 400, '10000005')
      expect((await rest(peer, path)).json<Device>().status).toBe('RETIRED')
    }
    expect(peer.stats().statusChanges).toHaveLength(changes)
  })

  it('schedules a future effectiveDate (202) and applies it when the clock gets there', async () => {
    const path = `/devices/${peer.iccids[3]}`
    const before = (await rest(peer, path)).json<Device>()
    const r = await putJson(peer, path, { communicationPlan: 'CP_Data_Only', effectiveDate: '2025-03-20T00:00:00+00:00' })
    expect(r.status).toBe(202)
    expect(r.json()).toEqual({ iccid: peer.iccids[3] })
    expect((await rest(peer, path)).json<Device>().communicationPlan).toBe(before.communicationPlan)
    time.advance(5 * 86_400_000)
    const after = (await rest(peer, path)).json<Device>()
    expect(after.communicationPlan).toBe('CP_Data_Only')
    expect(after.dateUpdated).toBe('2025-03-20 00:00:00.000+0000')
    time.set(START)
  })

  it('reports session info with nulls when never connected and ipv6Address only when present (§1.11)', async () => {
    const never = await findByStatus(peer, 'INVENTORY')
    expect((await rest(peer, `/devices/${never}/sessionInfo`)).json()).toEqual({
      iccid: never,
      ipAddress: null,
      apn: null,
      dateSessionStarted: null,
      dateSessionEnded: null,
    })
    const active = await findByStatus(peer, 'ACTIVATED')
    const s = (await rest(peer, `/devices/${active}/sessionInfo`)).json()
    expect(s.iccid).toBe(active)
    expect(['ipAddress', 'dateSessionStarted', 'dateSessionEnded'].every((k) => k in s)).toBe(true)
  })
})

describe('Control Center peer: usage (§1.8, §2.4)', () => {
  let peer: ControlCenterPeer
  let iccid = ''
  const time = clock()
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 200, now: time.now, seed: 3 })
    // An active SIM with traffic in the previous (closed) cycle.
    for (const candidate of peer.iccids) {
      const u = await rest(peer, `/devices/${candidate}/usageInZone?cycleStartDate=2025-02-01Z`)
      if (u.status === 200 && zoneTotals(u.json<UsageInZone>()).data > 0 && (await rest(peer, `/devices/${candidate}`)).json<Device>().status === 'ACTIVATED') {
        iccid = candidate
        break
      }
    }
    expect(iccid).not.toBe('')
  })
  afterAll(() => peer.close())

  it('reports cycle-to-date usage in bytes, counts and seconds, matching the open cycle by zone', async () => {
    const ctd = (await rest(peer, `/devices/${iccid}/ctdUsages`)).json()
    expect(Object.keys(ctd)).toEqual([
      'iccid',
      'imsi',
      'msisdn',
      'imei',
      'status',
      'ratePlan',
      'communicationPlan',
      'ctdDataUsage',
      'ctdSMSUsage',
      'ctdVoiceUsage',
      'ctdSessionCount',
      'overageLimitReached',
      'overageLimitOverride',
    ])
    expect(Number.isInteger(ctd.ctdDataUsage)).toBe(true)
    const open = (await rest(peer, `/devices/${iccid}/usageInZone`)).json<UsageInZone>()
    expect(open.cycleStartDate).toBe('2025-03-01T00:00:00.000Z')
    expect(open.cycleEndDate).toBe('2025-03-31T23:59:59.000Z')
    expect(open.timeStamp).toBe('2025-03-15T12:00:00.000Z')
    const totals = zoneTotals(open)
    expect([totals.data, totals.sms, totals.voice]).toEqual([ctd.ctdDataUsage, ctd.ctdSMSUsage, ctd.ctdVoiceUsage])
  })

  it('shapes usageInZone as §1.8: map key "<ratePlan>, <version>", data in bytes, absent usage null', async () => {
    const u = (await rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=2025-02-01Z`)).json<UsageInZone>()
    const [key, entries] = Object.entries(u.deviceCycleUsageInZones)[0] ?? ['', []]
    const entry = entries[0]
    expect(key).toBe(`${entry?.ratePlan}, ${entry?.ratePlanVersion}`)
    expect(entry?.dataUsageUnit).toBe('bytes')
    expect(Object.keys(entry ?? {})).toEqual([
      'ratePlan',
      'ratePlanVersion',
      'zone',
      'dataUsage',
      'dataUsageUnit',
      'voiceMOUsage',
      'voiceMOUsageUnit',
      'voiceMTUsage',
      'voiceMTUsageUnit',
      'smsMOUsage',
      'smsMTUsage',
    ])
  })

  it('accepts only the current and two previous cycles, in either zone notation', async () => {
    for (const date of ['2025-03-01Z', '2025-02-01Z', '2025-01-01Z', encodeURIComponent('2025-01-01+00:00')]) {
      expect((await rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=${date}`)).status).toBe(200)
    }
    for (const date of ['2024-12-01Z', '2025-02-02Z', '2025-04-01Z']) {
      const message = await expectError(rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=${date}`), 400, '10000032')
      expect(message).toBe('cycleStartDate must specify one of the last three billing cycles')
    }
    await expectError(rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=2025-01-01+00:00`), 400, '10000012')
    // §1.4: the zone is part of usageInZone's date layout; a bare date is /usages' layout.
    await expectError(rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=2025-01-01`), 400, '10000012')
    await expectError(rest(peer, `/devices/${iccid}/usageInZone?zone=Mars`), 400, '10000031')
  })

  it('keeps SOAP GetTerminalUsage for a closed cycle equal to REST (MB = bytes / 1,048,576)', async () => {
    const rest2 = zoneTotals((await rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=2025-02-01Z`)).json<UsageInZone>())
    const r = await soap(peer, 'billing', 'GetTerminalUsage', `<sch:iccid>${iccid}</sch:iccid><sch:cycleStartDate>2025-02-01Z</sch:cycleStartDate>`, { messageId: 'usage-42' })
    expect(r.status).toBe(200)
    expect(tag(r.xml, 'correlationId')).toBe('usage-42')
    expect(tag(r.xml, 'version')).toBe('5.90')
    expect(tag(r.xml, 'timestamp')).toBe('2025-03-15T12:00:00.000Z')
    expect(tag(r.xml, 'build')).toBeTruthy()
    expect(tag(r.xml, 'iccid')).toBe(iccid)
    expect(tag(r.xml, 'cycleStartDate')).toBe('2025-02-01Z')
    expect(tag(r.xml, 'billable')).toBe('true')
    expect(Number(tag(r.xml, 'totalDataVolume')) * 1_048_576).toBeCloseTo(rest2.data, 3)
    expect(tag(r.xml, 'billableDataVolume')).toBe(tag(r.xml, 'totalDataVolume'))
    expect(Number(tag(r.xml, 'totalSMSVolume'))).toBe(rest2.sms)
    expect(Number(tag(r.xml, 'totalVoiceVolume'))).toBe(rest2.voice)
    // Schema order of GetTerminalUsageResponse (JasperAPI.xsd); terminalId/customer/endConsumerId are minOccurs=0.
    const names = [...r.xml.matchAll(/<ns2:(\w+)>/g)].map((m) => m[1]).slice(4)
    expect(names.filter((n) => !['terminalId', 'customer', 'endConsumerId'].includes(n ?? ''))).toEqual([
      'iccid',
      'totalDataVolume',
      'billableDataVolume',
      'cycleStartDate',
      'billable',
      'totalSMSVolume',
      'totalVoiceVolume',
      'billableSMSVolume',
      'billableVoiceVolume',
      'ratePlan',
      'eventsUsage',
      'totalEvents',
    ])
  })

  it('reports closed cycles older than the three REST serves over SOAP', async () => {
    const found: string[] = []
    for (let month = 11; month >= 0 && found.length === 0; month--) {
      const date = `2024-${String(month + 1).padStart(2, '0')}-01`
      const r = await soap(peer, 'billing', 'GetTerminalUsage', `<sch:iccid>${iccid}</sch:iccid><sch:cycleStartDate>${date}</sch:cycleStartDate>`)
      if (r.status === 200) found.push(date)
      else expect(faultstring(r.xml)).toBe('200200')
    }
    expect(found).toHaveLength(1)
    await expectError(rest(peer, `/devices/${iccid}/usageInZone?cycleStartDate=${found[0]}Z`), 400, '10000032')
  })

  it('answers 200200 for the open cycle, a missing date, a non-cycle date and cycles before activation', async () => {
    for (const date of ['2025-03-01Z', '', '2025-02-10', '2010-01-01']) {
      const inner = `<sch:iccid>${iccid}</sch:iccid>${date ? `<sch:cycleStartDate>${date}</sch:cycleStartDate>` : ''}`
      const r = await soap(peer, 'billing', 'GetTerminalUsage', inner)
      expect(r.status).toBe(500)
      expect(faultstring(r.xml)).toBe('200200')
    }
    const unknown = await soap(peer, 'billing', 'GetTerminalUsage', '<sch:iccid>8901170000000000000</sch:iccid><sch:cycleStartDate>2025-02-01Z</sch:cycleStartDate>')
    expect(faultstring(unknown.xml)).toBe('100100')
  })

  it('honours cycleStartDay', async () => {
    const other = await startControlCenterPeer({ devices: 5, now: time.now, cycleStartDay: 26 })
    try {
      const u = (await rest(other, `/devices/${other.iccids[0]}/usageInZone`)).json<UsageInZone>()
      expect(u.cycleStartDate).toBe('2025-02-26T00:00:00.000Z')
      expect(u.cycleEndDate).toBe('2025-03-25T23:59:59.000Z')
      expect((await rest(other, `/devices/${other.iccids[0]}/usageInZone?cycleStartDate=2025-01-26Z`)).status).toBe(200)
      await expectError(rest(other, `/devices/${other.iccids[0]}/usageInZone?cycleStartDate=2025-02-01Z`), 400, '10000032')
    } finally {
      await other.close()
    }
  })
})

describe('Control Center peer: SMS (§1.10, §2.5)', () => {
  let peer: ControlCenterPeer
  let active = ''
  const time = clock()
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 60, now: time.now, smsDeliveryMs: 1000 })
    active = await findByStatus(peer, 'ACTIVATED')
  })
  afterAll(() => peer.close())
  const send = (body: unknown, iccid = active): Promise<Reply> => putJson(peer, `/devices/${iccid}/smsMessages`, body, 'POST')

  it('goes Pending → Delivered on the peer clock and counts in ctdSMSUsage', async () => {
    const smsBefore = (await rest(peer, `/devices/${active}/ctdUsages`)).json().ctdSMSUsage as number
    const r = await send({ messageText: 'wake up' })
    expect(r.status).toBe(200)
    const { smsMsgId } = r.json<{ smsMsgId: number }>()
    expect(Number.isInteger(smsMsgId)).toBe(true)
    const pending = (await rest(peer, `/smsMessages/${smsMsgId}`)).json()
    expect(pending).toEqual({
      smsMsgId,
      status: 'Pending',
      messageText: 'wake up',
      senderLogin: 'ops',
      iccid: active,
      sentTo: active,
      sentFrom: 'Server',
      msgType: 'MT',
      dateSent: '2025-03-15 12:00:00.000+0000',
      dateReceived: null,
      dateModified: '2025-03-15 12:00:00.000+0000',
    })
    time.advance(1000)
    const delivered = (await rest(peer, `/smsMessages/${smsMsgId}`)).json()
    expect(delivered.status).toBe('Delivered')
    expect(delivered.dateReceived).toBe('2025-03-15 12:00:01.000+0000')
    expect((await rest(peer, `/smsMessages/${smsMsgId}?messageEncoding=BASE64`)).json().messageText).toBe(Buffer.from('wake up').toString('base64'))
    expect((await rest(peer, `/devices/${active}/ctdUsages`)).json().ctdSMSUsage).toBe(smsBefore + 1)
    expect(peer.stats().smsSent).toBeGreaterThanOrEqual(1)
  })

  it('fails text containing FAIL and SIMs that are not active', async () => {
    const failing = (await send({ messageText: 'please FAIL' })).json<{ smsMsgId: number }>().smsMsgId
    const inactive = (await send({ messageText: 'hello' }, await findByStatus(peer, 'DEACTIVATED'))).json<{ smsMsgId: number }>().smsMsgId
    time.advance(1000)
    expect((await rest(peer, `/smsMessages/${failing}`)).json().status).toBe('Failed')
    expect((await rest(peer, `/smsMessages/${inactive}`)).json().status).toBe('Failed')
  })

  it('enforces messageEncoding (10000017), dataCoding (10000018), tpvp (10000019) and length per dataCoding (10000020)', async () => {
    await expectError(send({ messageText: 'x', messageEncoding: 'UTF8' }), 400, '10000017')
    await expectError(send({ messageText: '***', messageEncoding: 'BASE64' }), 400, '10000017')
    await expectError(send({ messageText: 'x', dataCoding: 2 }), 400, '10000018')
    await expectError(send({ messageText: 'x', tpvp: 300 }), 400, '10000019')
    await expectError(send({ messageText: '' }), 400, '10000011')
    await expectError(send({ text: 'x' }), 400, '10000028')
    await expectError(send('{"messageText":'), 400, '10000023')
    const limits: [number | undefined, number][] = [
      [0, 160],
      [1, 160],
      [3, 160],
      [8, 70],
      [undefined, 320],
    ]
    for (const [dataCoding, max] of limits) {
      const coding = dataCoding === undefined ? {} : { dataCoding }
      expect((await send({ messageText: 'a'.repeat(max), ...coding })).status, `dataCoding ${dataCoding} at ${max}`).toBe(200)
      await expectError(send({ messageText: 'a'.repeat(max + 1), ...coding }), 400, '10000020')
    }
    const binary = (n: number): string => Buffer.alloc(n, 7).toString('base64')
    expect((await send({ messageText: binary(140), messageEncoding: 'BASE64', dataCoding: 4 })).status).toBe(200)
    await expectError(send({ messageText: binary(141), messageEncoding: 'BASE64', dataCoding: 4 }), 400, '10000020')
    await expectError(rest(peer, '/smsMessages/1?messageEncoding=HEX'), 400, '10000017')
    await expectError(rest(peer, '/smsMessages/1'), 404, '20000002')
  })

  it('counts GSM 7-bit in septets (§1.13) and refuses a character the dataCoding cannot carry ([I] 10000018)', async () => {
    expect((await send({ messageText: `${'a'.repeat(158)}€`, dataCoding: 0 })).status).toBe(200)
    await expectError(send({ messageText: `${'a'.repeat(159)}€`, dataCoding: 0 }), 400, '10000020')
    await expectError(send({ messageText: `[${'a'.repeat(159)}`, dataCoding: 0 }), 400, '10000020')
    for (const [messageText, dataCoding] of [
      ['Température ≥ 5', 0],
      ['Alerte 🙂', 0],
      ['Arrêt', 1],
      ['5 €', 3],
      ['Alerte 🙂', 4],
    ] as const) {
      await expectError(send({ messageText, dataCoding }), 400, '10000018')
    }
    // UCS2 and no dataCoding carry any text; an emoji is two UCS2 units.
    expect((await send({ messageText: '🙂'.repeat(35), dataCoding: 8 })).status).toBe(200)
    await expectError(send({ messageText: `🙂${'a'.repeat(69)}`, dataCoding: 8 }), 400, '10000020')
    expect((await send({ messageText: 'Température ≥ 5 🙂' })).status).toBe(200)
  })

  it('searches SMS by date, ICCID and msgType, oldest modification first, paged (Search SMS)', async () => {
    time.advance(60_000)
    const since = encodeURIComponent(
      time
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, '+00:00'),
    )
    const first = (await send({ messageText: 'search one' })).json<{ smsMsgId: number }>().smsMsgId
    const other = await findByStatus(peer, 'DEACTIVATED')
    const second = (await send({ messageText: 'search two' }, other)).json<{ smsMsgId: number }>().smsMsgId
    const all = (await rest(peer, `/smsMessages?fromDate=${since}`)).json<{ smsMsgIds: number[]; pageNumber: number; lastPage: boolean }>()
    expect(all).toEqual({ smsMsgIds: [first, second], pageNumber: 1, lastPage: true })
    expect((await rest(peer, `/smsMessages?fromDate=${since}&iccid=${other}`)).json().smsMsgIds).toEqual([second])
    expect((await rest(peer, `/smsMessages?fromDate=${since}&msgType=MO`)).json().smsMsgIds).toEqual([])
    expect((await rest(peer, `/smsMessages?fromDate=${since}&pageSize=1&pageNumber=2`)).json()).toEqual({ smsMsgIds: [second], pageNumber: 2, lastPage: true })
    await expectError(rest(peer, `/smsMessages?fromDate=${since}&msgType=XX`), 400, '10000028')
    await expectError(rest(peer, `/smsMessages?fromDate=${since}&toDate=2000-01-01T00%3A00%3A00%2B00%3A00`), 400, '10000027')
    await expectError(rest(peer, `/smsMessages?fromDate=${since}&iccid=89000000000000000000`), 404, '20000001')
  })

  it('reads a trailing slash as the same resource, and empty query values as omitted ones', async () => {
    expect((await putJson(peer, `/devices/${active}/smsMessages/`, { messageText: 'slash' }, 'POST')).status).toBe(200)
    expect((await rest(peer, `/devices/${active}/`)).json().iccid).toBe(active)
    expect((await rest(peer, '/rateplans?pageSize=&pageNumber=&accountId=')).json().ratePlans).toHaveLength(6)
    await expectError(rest(peer, '/devices?modifiedSince=&accountId='), 400, '10000003')
    expect((await rest(peer, `/devices/${active}?fields=,,`)).json().imsi).toBeDefined()
    expect(Object.keys((await rest(peer, `/devices/${active}?fields=,status,`)).json())).toEqual(['status'])
  })

  it('answers 406 to an Accept without JSON (q=0 excludes), and accepts */* and application/*', async () => {
    expect((await rest(peer, `/devices/${active}`, { headers: { accept: 'application/json;q=0, text/html' } })).status).toBe(406)
    expect((await rest(peer, `/devices/${active}`, { headers: { accept: 'text/html, */*;q=0.1' } })).status).toBe(200)
    expect((await rest(peer, `/devices/${active}`, { headers: { accept: 'application/*' } })).status).toBe(200)
  })

  it('sends and reads SMS over SOAP too, sharing the same message store', async () => {
    const sent = await soap(peer, 'sms', 'SendSMS', `<sch:sentToIccid>${active}</sch:sentToIccid><sch:messageText>ping</sch:messageText>`)
    expect(sent.status).toBe(200)
    const id = tag(sent.xml, 'smsMsgId') ?? ''
    expect(id).toMatch(/^\d+$/)
    expect((await rest(peer, `/smsMessages/${id}`)).json().messageText).toBe('ping')
    const details = await soap(peer, 'sms', 'GetSMSDetails', `<sch:smsMsgIds><sch:smsMsgId>${id}</sch:smsMsgId></sch:smsMsgIds>`)
    expect(tag(details.xml, 'status')).toBe('Pending')
    expect(tag(details.xml, 'sentToIccid')).toBe(active)
    const tooLong = await soap(peer, 'sms', 'SendSMS', `<sch:sentToIccid>${active}</sch:sentToIccid><sch:messageText>${'a'.repeat(161)}</sch:messageText>`)
    expect(faultstring(tooLong.xml)).toBe('500500')
  })
})

describe('Control Center peer: SOAP (§2)', () => {
  let peer: ControlCenterPeer
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 40, now: clock().now, licenseKey: 'lk-123' })
  })
  afterAll(() => peer.close())

  it('echoes, with messageId as correlationId', async () => {
    const r = await soap(peer, 'echo', 'Echo', '<sch:value>Hello World</sch:value>', { licenseKey: 'lk-123', messageId: 'abc' })
    expect(r.status).toBe(200)
    expect(r.contentType).toMatch(/^text\/xml/)
    expect(tag(r.xml, 'value')).toBe('Hello World')
    expect(tag(r.xml, 'correlationId')).toBe('abc')
    expect(r.xml).toContain('xmlns:ns2="http://api.jasperwireless.com/ws/schema"')
  })

  it('checks WS-Security (400200) and the license key (400100) separately', async () => {
    const wrongKey = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'nope' })
    expect([wrongKey.status, faultstring(wrongKey.xml)]).toEqual([500, '400100'])
    for (const o of [{ password: 'wrong' }, { password: 'test-api-key' }, { username: 'ghost' }, { security: false }]) {
      const r = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'lk-123', ...o })
      expect([r.status, faultstring(r.xml)], JSON.stringify(o)).toEqual([500, '400200'])
    }
  })

  it('returns terminal details with _NAME statuses and leaves unknown ICCIDs out', async () => {
    const iccid = await findByStatus(peer, 'ACTIVATED')
    const r = await soap(peer, 'terminal', 'GetTerminalDetails', `<sch:iccids><sch:iccid>${iccid}</sch:iccid><sch:iccid>8901170000000000000</sch:iccid></sch:iccids>`, { licenseKey: 'lk-123' })
    expect(r.status).toBe(200)
    expect(r.xml.match(/<ns2:terminal>/g)).toHaveLength(1)
    expect(tag(r.xml, 'status')).toBe('ACTIVATED_NAME')
    const ctd = (await rest(peer, `/devices/${iccid}/ctdUsages`)).json()
    expect(Number(tag(r.xml, 'monthToDateDataUsage')) * 1_048_576).toBeCloseTo(ctd.ctdDataUsage as number, 3)
    const none = await soap(peer, 'terminal', 'GetTerminalDetails', '<sch:iccids><sch:iccid>8901170000000000000</sch:iccid></sch:iccids>', { licenseKey: 'lk-123' })
    expect(faultstring(none.xml)).toBe('100100')
  })

  it('edits a terminal (changeType 3 / 4) visibly to REST', async () => {
    const iccid = await findByStatus(peer, 'ACTIVATION_READY')
    const inner = (changeType: number, target: string): string => `<sch:iccid>${iccid}</sch:iccid><sch:targetValue>${target}</sch:targetValue><sch:changeType>${changeType}</sch:changeType>`
    const r = await soap(peer, 'terminal', 'EditTerminal', inner(3, 'ACTIVATED_NAME'), { licenseKey: 'lk-123' })
    expect(r.status).toBe(200)
    expect(tag(r.xml, 'effectiveDate')).toBe('2025-03-15Z')
    expect((await rest(peer, `/devices/${iccid}`)).json<Device>().status).toBe('ACTIVATED')
    expect(faultstring((await soap(peer, 'terminal', 'EditTerminal', inner(3, 'ACTIVATED'), { licenseKey: 'lk-123' })).xml)).toBe('100300')
    expect(faultstring((await soap(peer, 'terminal', 'EditTerminal', inner(4, 'Nope'), { licenseKey: 'lk-123' })).xml)).toBe('100520')
    expect(faultstring((await soap(peer, 'terminal', 'EditTerminal', inner(99, 'x'), { licenseKey: 'lk-123' })).xml)).toBe('100200')
  })

  it('refuses a mismatched SOAPAction, a missing one, a wrong service and SOAP 1.2', async () => {
    const wrongAction = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'lk-123', action: '"http://api.jasperwireless.com/ws/service/terminal/GetTerminalDetails"' })
    expect(wrongAction.xml).toContain('<faultcode>SOAP-ENV:Client</faultcode>')
    const noAction = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'lk-123', action: null })
    expect(noAction.xml).toContain('SOAP-ENV:Client')
    const emptyAction = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'lk-123', action: '""' })
    expect(emptyAction.status).toBe(200)
    const wrongService = await soap(peer, 'billing', 'Echo', '<sch:value>x</sch:value>', { licenseKey: 'lk-123', action: '""' })
    expect(wrongService.xml).toContain('No endpoint mapping')
    const soap12 = await fetch(`${peer.url}/ws/service/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', soapaction: '""' },
      body: '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
    })
    expect(await soap12.text()).toContain('VersionMismatch')
    const json = await fetch(`${peer.url}/ws/service/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(json.status).toBe(415)
  })
})

describe('Control Center peer: rate limits (§1.2, §7.7)', () => {
  let peer: ControlCenterPeer
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 10, rateLimit: { perSecond: 5, concurrent: 1 } })
  })
  afterAll(() => peer.close())
  afterEach(() => {
    peer.faults.clear()
    peer.setRateLimit({ perSecond: 5, concurrent: 1 })
  })

  it('answers concurrent calls beyond the in-flight limit with 429 40000029 and no Retry-After (§1.2: none documented)', async () => {
    peer.faults.set({ kind: 'latency', ms: 300, times: 1 })
    const before = peer.stats().rateLimited
    const replies = await Promise.all(Array.from({ length: 4 }, () => rest(peer, '/echo/x')))
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 429, 429, 429])
    const limited = replies.find((r) => r.status === 429)
    expect(limited?.json()).toEqual({ errorMessage: expect.any(String), errorCode: '40000029' })
    expect(limited?.headers.get('retry-after')).toBeNull()
    expect(peer.stats().rateLimited - before).toBe(3)
  })

  it('answers the sixth call within a second with 429, and SOAP with fault 400101', async () => {
    peer.setRateLimit({ perSecond: 5, concurrent: 10 })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await rest(peer, '/echo/x')).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    const r = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>')
    expect(faultstring(r.xml)).toBe('400101')
  })

  it('stops limiting when the limit is removed', async () => {
    peer.setRateLimit(null)
    const replies = await Promise.all(Array.from({ length: 12 }, () => rest(peer, '/echo/x')))
    expect(replies.every((r) => r.status === 200)).toBe(true)
  })
})

describe('Control Center peer: faults', () => {
  let peer: ControlCenterPeer
  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 10 })
  })
  afterAll(() => peer.close())
  afterEach(() => peer.faults.clear())

  it('delays answers (latency), limited by times and path', async () => {
    peer.faults.set({ kind: 'latency', ms: 250, times: 1, path: /\/echo\// })
    const timed = async (path: string): Promise<number> => {
      const t = performance.now()
      expect((await rest(peer, path)).status).toBe(200)
      return performance.now() - t
    }
    // Only the lower bound is asserted: an injected delay must delay; how fast the rest is depends on the machine.
    await timed(`/devices/${peer.iccids[0]}`)
    expect(await timed('/echo/x')).toBeGreaterThanOrEqual(240)
    expect(peer.stats().byRoute['GET /echo/{text}']).toBe(1)
    await timed('/echo/x')
  })

  it('answers a forced status with Retry-After, only for the given method, then recovers', async () => {
    peer.faults.set({ kind: 'status', status: 503, retryAfterSeconds: 7, times: 1, method: 'PUT' })
    expect((await rest(peer, '/echo/x')).status).toBe(200)
    const r = await putJson(peer, `/devices/${peer.iccids[0]}`, { deviceID: 'a' })
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('7')
    expect(r.json().errorCode).toBe('30000001')
    expect((await putJson(peer, `/devices/${peer.iccids[0]}`, { deviceID: 'a' })).status).toBe(200)
    peer.faults.set({ kind: 'status', status: 429, times: 1 })
    await expectError(rest(peer, '/echo/x'), 429, '40000029')
    peer.faults.set({ kind: 'status', status: 500, times: 1, path: /\/ws\// })
    const s = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>')
    expect([s.status, faultstring(s.xml)]).toEqual([500, '400300'])
  })

  it('answers an HTML error page instead of JSON', async () => {
    peer.faults.set({ kind: 'html', status: 502, times: 1 })
    const r = await rest(peer, '/echo/x')
    expect(r.status).toBe(502)
    expect(r.headers.get('content-type')).toMatch(/^text\/html/)
    expect(r.text).toContain('502 Bad Gateway')
    expect(() => r.json()).toThrow()
  })

  it('drops the connection before handling: nothing happened', async () => {
    const sent = peer.stats().smsSent
    peer.faults.set({ kind: 'drop', times: 1, path: /smsMessages/ })
    await expect(putJson(peer, `/devices/${peer.iccids[0]}/smsMessages`, { messageText: 'x' }, 'POST')).rejects.toThrow()
    expect(peer.stats().smsSent).toBe(sent)
  })

  it('drops the connection after handling: the SMS was accepted (ambiguous outcome)', async () => {
    const active = await findByStatus(peer, 'ACTIVATED')
    const sent = peer.stats().smsSent
    peer.faults.set({ kind: 'drop', afterRequest: true, times: 1 })
    await expect(putJson(peer, `/devices/${active}/smsMessages`, { messageText: 'x' }, 'POST')).rejects.toThrow()
    expect(peer.stats().smsSent).toBe(sent + 1)
    expect(peer.stats().byRoute['POST /devices/{iccid}/smsMessages']).toBeGreaterThanOrEqual(1)
  })

  it('trickles the body (slowBody) and still delivers it whole', async () => {
    const fast = await rest(peer, `/devices/${peer.iccids[0]}`)
    peer.faults.set({ kind: 'slowBody', bytesPerSecond: 2000, times: 1 })
    const t = performance.now()
    const slow = await rest(peer, `/devices/${peer.iccids[0]}`)
    expect(slow.text).toBe(fast.text)
    expect(performance.now() - t).toBeGreaterThanOrEqual((fast.bytes.length / 2000) * 1000 - 100)
  })

  it('writes error bodies in ISO-8859-1 with non-ASCII text (latin1)', async () => {
    peer.faults.set({ kind: 'latin1', times: 2 })
    const notFound = await rest(peer, '/devices/8901170000000000000')
    expect(notFound.status).toBe(404)
    expect(notFound.headers.get('content-type')).toBe('application/json;charset=ISO-8859-1')
    expect(notFound.bytes.includes(0xe9)).toBe(true)
    expect(notFound.bytes.toString('utf8')).not.toContain('é')
    expect(notFound.json()).toEqual({ errorMessage: LATIN1_FAULT_MESSAGE, errorCode: '20000001' })
    const forced = await rest(peer, '/echo/x')
    expect(forced.status).toBe(500)
    expect(forced.json()).toEqual({ errorMessage: LATIN1_FAULT_MESSAGE, errorCode: '30000001' })
    expect((await rest(peer, '/echo/x')).status).toBe(200)
    peer.faults.set({ kind: 'latin1', times: 1 })
    const s = await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>')
    expect(s.contentType).toBe('text/xml;charset=ISO-8859-1')
    expect(s.xml).toContain('encoding="ISO-8859-1"')
    expect(s.xml).toContain(LATIN1_FAULT_MESSAGE)
  })

  it('clear() removes every fault', async () => {
    peer.faults.set({ kind: 'status', status: 500 })
    peer.faults.set({ kind: 'html', status: 503 })
    expect((await rest(peer, '/echo/x')).status).toBe(500)
    peer.faults.clear()
    expect((await rest(peer, '/echo/x')).status).toBe(200)
  })

  it('counts requests by route', async () => {
    const before = peer.stats()
    await rest(peer, `/devices/${peer.iccids[1]}`)
    await soap(peer, 'echo', 'Echo', '<sch:value>x</sch:value>')
    const after = peer.stats()
    expect(after.requests - before.requests).toBe(2)
    expect((after.byRoute['GET /devices/{iccid}'] ?? 0) - (before.byRoute['GET /devices/{iccid}'] ?? 0)).toBe(1)
    expect((after.byRoute['SOAP Echo'] ?? 0) - (before.byRoute['SOAP Echo'] ?? 0)).toBe(1)
  })
})

describe('Control Center peer: determinism and scale', () => {
  it('gives identical inventories for the same seed and different ones for another', async () => {
    const time = clock()
    const [a, b, c] = await Promise.all([
      startControlCenterPeer({ seed: 7, devices: 80, now: time.now }),
      startControlCenterPeer({ seed: 7, devices: 80, now: time.now }),
      startControlCenterPeer({ seed: 8, devices: 80, now: time.now }),
    ])
    try {
      expect(a.iccids).toEqual(b.iccids)
      expect(c.iccids).not.toEqual(a.iccids)
      const search = '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00'
      expect((await rest(a, search)).text).toBe((await rest(b, search)).text)
      for (const iccid of a.iccids.slice(0, 20)) {
        for (const suffix of ['', '/ctdUsages', '/sessionInfo', '/usageInZone?cycleStartDate=2025-01-01Z']) {
          expect((await rest(a, `/devices/${iccid}${suffix}`)).text).toBe((await rest(b, `/devices/${iccid}${suffix}`)).text)
        }
      }
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })

  it('starts a 100,000-SIM account and serves its last page', async () => {
    const peer = await startControlCenterPeer({ devices: 100_000 })
    try {
      expect(peer.iccids).toHaveLength(100_000)
      expect(new Set(peer.iccids).size).toBe(100_000)
      const last = peer.iccids[99_999] ?? ''
      expect((await rest(peer, `/devices/${last}`)).json<Device>().iccid).toBe(last)
      const page = (await rest(peer, '/devices?modifiedSince=2000-01-01T00:00:00%2B00:00&pageNumber=2000')).json<SearchPage>()
      expect([page.devices.length, page.lastPage]).toEqual([50, true])
    } finally {
      await peer.close()
    }
  })
})
