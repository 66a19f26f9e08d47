import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCert } from '../helpers/mosquitto'
import { AppError } from '../../src-main/core/common/errors'
import { checkSms, createControlCenterClient, formatRequestDateTime, type ControlCenterClientOptions } from '../../src-main/core/carriers/control-center/control-center.client'
import { restError } from '../../src-main/core/carriers/control-center/errors'
import { buildSoapRequest, parseSoapResponse } from '../../src-main/core/carriers/control-center/soap'
import { deriveControlCenterUrls } from '../../src-main/core/carriers/control-center/urls'
import { megabytesToBytes, parseCarrierDateTime, simSchema, cycleUsageSchema, type CycleUsage } from '../../src-main/core/carriers/sim-model'
import { createGovernor } from '../../src-main/core/http/governor'
import { createHttpClient, type HttpResponse } from '../../src-main/core/http/http-client'
import type { Logger } from '../../src-main/core/log/logger'
import { LATIN1_FAULT_MESSAGE, startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  throw new Error('expected a rejection')
}

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  throw new Error('expected a throw')
}

/**
 * The peer and the client share this fixed clock: usage grows with the peer's clock, so two reads of the open
 * cycle agree only if no time passes between them, and the choice between REST and SOAP depends on "today".
 */
const NOW = new Date('2025-03-15T12:00:00.000Z')

/** The first day of the UTC month `back` months before NOW: the peer's cycles start on day 1 by default. */
function cycleStart(back: number): string {
  return new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() - back, 1)).toISOString().slice(0, 10)
}

/** Stand-in for a response, for the mapping of codes the peer has no switch for. */
function fakeResponse(status: number, body: string, contentType = 'application/json;charset=ISO-8859-1'): HttpResponse {
  return {
    status,
    headers: { 'content-type': contentType },
    mimeType: contentType.split(';')[0] ?? '',
    charset: 'windows-1252',
    text: body,
    attempts: 1,
    isJson: () => contentType.includes('json'),
    tryJson: () => {
      try {
        return JSON.parse(body) as unknown
      } catch {
        return undefined
      }
    },
    isHtml: () => contentType.includes('html'),
  }
}

describe('pure helpers', () => {
  it.each([
    ['rws-jpotest.jasper.com', 'https://rws-jpotest.jasper.com/rws/api/v1', 'https://rws-jpotest.jasper.com/ws/service'],
    ['https://rws-jpotest.jasper.com/rws/api/v1', 'https://rws-jpotest.jasper.com/rws/api/v1', 'https://rws-jpotest.jasper.com/ws/service'],
    ['https://api-iotdevice.att.com/rws/api/v1/', 'https://api-iotdevice.att.com/rws/api/v1', 'https://api-iotdevice.att.com/ws/service'],
    ['https://api.jasper.com/ws/schema/Billing.wsdl', 'https://api.jasper.com/rws/api/v1', 'https://api.jasper.com/ws/service'],
    ['https://gw.example.com/cc/rws/api/v1/devices', 'https://gw.example.com/cc/rws/api/v1', 'https://gw.example.com/cc/ws/service'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/rws/api/v1', 'http://127.0.0.1:8080/ws/service'],
  ])('derives the REST and SOAP bases from %s', (input, rest, soap) => {
    expect(deriveControlCenterUrls(input)).toEqual({ rest, soap })
  })

  it('takes a separate SOAP host and refuses plain http:// to a remote host', () => {
    expect(deriveControlCenterUrls('restapi3.jasper.com', 'api.jasper.com').soap).toBe('https://api.jasper.com/ws/service')
    expect(thrown(() => deriveControlCenterUrls('http://restapi3.jasper.com')).details?.ref?.key).toBe('errors.insecureUrl')
  })

  it.each([
    ['2016-06-29 00:21:33.339+0000', '2016-06-29T00:21:33.339Z'],
    ['2016-06-29 02:21:33.339+0200', '2016-06-29T00:21:33.339Z'],
    ['2016-06-28 17:21:33.339-0700', '2016-06-29T00:21:33.339Z'],
    ['2016-06-29T00:21:33.339Z', '2016-06-29T00:21:33.339Z'],
    ['2016-06-29T00:21:33+00:00', '2016-06-29T00:21:33.000Z'],
    ['2016-06-29T00:21:33.339123Z', '2016-06-29T00:21:33.339Z'],
    ['', null],
    [null, null],
    ['yesterday', undefined],
    ['2016-02-30 00:00:00.000+0000', undefined],
  ])('parses the carrier timestamp %j', (input, expected) => {
    expect(parseCarrierDateTime(input)).toBe(expected)
  })

  it('formats request date-times in UTC with +00:00, and refuses one without a zone', () => {
    expect(formatRequestDateTime(new Date('2016-04-18T17:31:34.999Z'))).toBe('2016-04-18T17:31:34+00:00')
    expect(formatRequestDateTime('2016-04-18T19:31:34+02:00')).toBe('2016-04-18T17:31:34+00:00')
    expect(thrown(() => formatRequestDateTime('2016-04-18T17:31:34')).code).toBe('VALIDATION')
  })

  it('converts SOAP MB as 1,048,576 bytes', () => {
    expect(megabytesToBytes(1)).toBe(1_048_576)
    expect(megabytesToBytes(0.5)).toBe(524_288)
    expect(megabytesToBytes(Number('14.0975131988525390625'))).toBe(14_782_314)
  })

  it.each([
    [{ dataCoding: 0 as const }, 160],
    [{ dataCoding: 1 as const }, 160],
    [{ dataCoding: 3 as const }, 160],
    [{ dataCoding: 4 as const }, 140],
    [{ dataCoding: 8 as const }, 70],
    // Without one, none is sent and the service codes the text itself: 320 characters (§1.10).
    [{}, 320],
  ])('limits SMS length by dataCoding %j to %i', (options, max) => {
    expect(() => checkSms('a'.repeat(max), options)).not.toThrow()
    const e = thrown(() => checkSms('a'.repeat(max + 1), options))
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref).toEqual({ key: 'dataCoding' in options ? 'sim.smsTooLong' : 'sim.smsTooLongUncoded', params: { length: max + 1, max } })
  })

  it('counts decoded octets for BASE64 and refuses invalid BASE64 or an empty text', () => {
    expect(() => checkSms(Buffer.alloc(140).toString('base64'), { encoding: 'BASE64', dataCoding: 4 })).not.toThrow()
    expect(thrown(() => checkSms(Buffer.alloc(141).toString('base64'), { encoding: 'BASE64', dataCoding: 4 })).details?.ref?.key).toBe('sim.smsTooLong')
    expect(thrown(() => checkSms('not base64!', { encoding: 'BASE64' })).details?.ref?.key).toBe('sim.smsInvalidEncoding')
    expect(thrown(() => checkSms('', {})).details?.ref?.key).toBe('sim.smsEmpty')
  })

  it('escapes SOAP values and reads faults', () => {
    const { xml } = buildSoapRequest('GetTerminalUsage', { iccid: '8988216716970004975' }, { username: 'ops', password: 'p<&>"w', licenseKey: 'k' })
    expect(xml).toContain('p&lt;&amp;&gt;&quot;w')
    expect(xml).not.toContain('p<&>"w')
    const fault = parseSoapResponse(
      '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>200200</faultstring><detail><m>No usage</m></detail></S:Fault></S:Body></S:Envelope>',
      'GetTerminalUsage',
    )
    expect(fault).toEqual({ kind: 'fault', faultCode: '200200', detail: 'No usage' })
    expect(parseSoapResponse('<html>no</html>', 'GetTerminalUsage').kind).toBe('unreadable')
  })

  it.each([
    [500, '{"errorMessage":"Failed to submit","errorCode":"30000002"}', 'CARRIER', 'sim.smsNotSubmitted'],
    [500, '{"errorMessage":"Unknown server error","errorCode":"30000001"}', 'CARRIER', 'carrier.serverError'],
    [400, '{"errorMessage":"Your role does not have access","errorCode":"10000030"}', 'FORBIDDEN', 'carrier.notAllowed'],
    [400, '{"errorMessage":"Invalid SIM status","errorCode":"10000005"}', 'VALIDATION', 'carrier.invalidRequest'],
    [400, '{"errorMessage":"JSON not well formed","errorCode":"10000023"}', 'CARRIER', 'carrier.requestRejected'],
    [401, '{"errorMessage":"Full authentication is required to access this resource"}', 'AUTH_FAILED', 'carrier.authRequired'],
    [429, '{"errorMessage":"Too many requests","errorCode":"40000029"}', 'RATE_LIMITED', 'carrier.rateLimited'],
    [502, '<html><head><title>502 Bad Gateway</title></head></html>', 'CARRIER', 'carrier.unavailable'],
    [418, 'I am a teapot', 'CARRIER', 'carrier.unexpectedAnswer'],
  ])('maps HTTP %i %s to %s / %s', (status, body, code, key) => {
    const e = restError(fakeResponse(status, body, body.startsWith('<') ? 'text/html' : body.startsWith('{') ? 'application/json' : 'text/plain'), {
      service: 'Control Center',
      apiUrl: 'https://cc.example.com/rws/api/v1',
      iccid: '8988216716970004975',
    })
    expect(e.code).toBe(code)
    expect(e.details?.ref?.key).toBe(key)
  })
})

describe('Control Center client against the peer', () => {
  let peer: ControlCenterPeer
  const clients: { close(): Promise<void> }[] = []
  const OPS = { username: 'ops', apiKey: 'test-api-key', password: 'test-password', licenseKey: 'test-license-key' }

  /** A governor without the 5/s cap, so the suite is quick; the limits themselves are tested in governor.test.ts. */
  const client = (over: Partial<ControlCenterClientOptions> = {}) => {
    const c = createControlCenterClient({
      carrier: 'jasper',
      baseUrl: peer.url,
      ...OPS,
      governor: createGovernor({ concurrency: 1, perSecond: Infinity, baseDelayMs: 10, maxDelayMs: 2000 }),
      http: { maxAttempts: 3 },
      now: () => NOW,
      ...over,
    })
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    peer = await startControlCenterPeer({
      devices: 60,
      now: () => NOW,
      users: [
        { username: 'ops', apiKey: 'test-api-key', password: 'test-password', role: 'AccountAdmin' },
        { username: 'viewer', apiKey: 'viewer-key', password: 'viewer-password', role: 'AccountUser' },
      ],
    })
  })
  afterEach(async () => {
    peer.faults.clear()
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })
  afterAll(async () => {
    await peer.close()
  })

  const iccid = (n: number): string => {
    const value = peer.iccids[n]
    if (value === undefined) throw new Error(`no ICCID ${n}`)
    return value
  }

  describe('verify', () => {
    it('succeeds with good credentials and reports both bases', async () => {
      expect(await client().verify()).toEqual({ restBaseUrl: `${peer.url}/rws/api/v1`, soapBaseUrl: `${peer.url}/ws/service`, soapCredentials: true })
    })

    it('reports bad credentials as AUTH_FAILED with the carrier code', async () => {
      const e = await rejection(client({ apiKey: 'wrong' }).verify())
      expect(e.code).toBe('AUTH_FAILED')
      expect(e.details).toMatchObject({ ref: { key: 'carrier.invalidCredentials' }, carrierCode: '10000001', carrierMessage: 'Invalid credentials' })
    })

    it('tells a host that is not a Control Center API (HTML 404) apart', async () => {
      const e = await rejection(client({ baseUrl: `${peer.url}/console` }).verify())
      expect(e.code).toBe('NOT_FOUND')
      expect(e.details?.ref).toEqual({ key: 'carrier.notControlCenter', params: { url: `${peer.url}/console/rws/api/v1` } })
    })

    it('tells a non-JSON success apart', async () => {
      peer.faults.set({ kind: 'html', status: 200, times: 1 })
      const e = await rejection(client().verify())
      expect(e.details?.ref?.key).toBe('carrier.notControlCenter')
    })

    it('reports NETWORK when nothing listens', async () => {
      const gone = await startControlCenterPeer({ devices: 1 })
      const url = gone.url
      await gone.close()
      const e = await rejection(client({ baseUrl: url, http: { maxAttempts: 2 } }).verify())
      expect(e.code).toBe('NETWORK')
    })

    it('reports TIMEOUT when the service does not answer in time', async () => {
      peer.faults.set({ kind: 'latency', ms: 3000, times: 2 })
      const e = await rejection(client({ http: { maxAttempts: 2, timeoutMs: { headers: 300 } } }).verify())
      expect(e.code).toBe('TIMEOUT')
    })

    it('reports the missing-credentials form (401 without errorCode) as AUTH_FAILED', async () => {
      const raw = createHttpClient({ baseUrl: `${peer.url}/rws/api/v1` })
      clients.push(raw)
      const res = await raw.request({ method: 'GET', path: `/devices/${iccid(0)}` })
      expect(res.headers['www-authenticate']).toBe('Basic realm="Jasper"')
      const e = restError(res, { service: 'Control Center', apiUrl: `${peer.url}/rws/api/v1` })
      expect(e.code).toBe('AUTH_FAILED')
      expect(e.details?.ref?.key).toBe('carrier.authRequired')
      expect(e.details?.carrierCode).toBeUndefined()
    })
  })

  describe('TLS', () => {
    let cert: string
    let front: HttpsServer
    let frontUrl: string

    beforeAll(async () => {
      // A TLS front for the peer with a certificate made for this run only (never committed).
      const pair = await selfSignedCert()
      if (!pair) throw new Error('openssl is needed to make the test certificate (apt-get install openssl)')
      cert = pair.cert
      front = createHttpsServer({ cert, key: pair.key }, (req, res) => {
        const upstream = httpRequest(`${peer.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        })
        upstream.on('error', () => res.destroy())
        req.pipe(upstream)
      })
      await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
      frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      front.closeAllConnections()
      await new Promise<void>((resolve) => front.close(() => resolve()))
    })

    it('refuses a self-signed certificate: TLS with the reason', async () => {
      const e = await rejection(client({ baseUrl: frontUrl }).verify())
      expect(e.code).toBe('TLS')
      expect(e.details?.ref).toMatchObject({ key: 'errors.tls', params: { reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' } })
    })

    it('works once the custom CA is added, verification still on', async () => {
      const c = client({ baseUrl: frontUrl, http: { ca: [cert] } })
      expect((await c.verify()).restBaseUrl).toBe(`${frontUrl}/rws/api/v1`)
      expect((await c.getDevice(iccid(0), { usage: false })).iccid).toBe(iccid(0))
    })
  })

  describe('devices', () => {
    it('reads a SIM into the normalised model with ISO UTC dates and month-to-date usage', async () => {
      const sim = await client().getDevice(iccid(1))
      expect(simSchema.parse(sim)).toEqual(sim)
      expect(sim.iccid).toBe(iccid(1))
      expect(sim.carrier).toBe('jasper')
      expect(sim.statusRaw).toMatch(/^[A-Z_]+$/)
      expect(sim.status).not.toBe('unknown')
      expect(sim.dateAdded).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(sim.monthToDate).not.toBeNull()
      const ctd = await client().ctdUsage(iccid(1))
      expect(sim.monthToDate).toEqual(ctd.monthToDate)
    })

    it('reports an unknown ICCID as NOT_FOUND with the carrier code and message', async () => {
      const unknown = '8901170000000000000'
      const e = await rejection(client().getDevice(unknown))
      expect(e.code).toBe('NOT_FOUND')
      expect(e.details).toMatchObject({
        ref: { key: 'sim.notFound', params: { iccid: unknown } },
        carrierCode: '20000001',
        carrierMessage: 'Resource not found - Invalid ICCID',
      })
    })

    it('refuses a malformed ICCID before any request', async () => {
      const before = peer.stats().requests
      const e = await rejection(client().getDevice('89/../../etc'))
      expect(e.code).toBe('VALIDATION')
      expect(e.details?.ref?.key).toBe('sim.invalidIccid')
      expect(peer.stats().requests).toBe(before)
    })

    it('changes status, rate plan (spaces and accents) and communication plan', async () => {
      const c = client()
      const target = iccid(2)
      const current = await c.getDevice(target, { usage: false })
      const next = current.status === 'deactivated' ? 'activated' : 'deactivated'
      expect(await c.editDevice(target, { status: next, ratePlan: 'Réseau Énergie 1GB', communicationPlan: 'CP_Data_SMS' })).toEqual({ iccid: target })
      const after = await c.getDevice(target, { usage: false })
      expect(after).toMatchObject({ status: next, ratePlan: 'Réseau Énergie 1GB', communicationPlan: 'CP_Data_SMS' })
      expect(
        peer
          .stats()
          .statusChanges.filter((s) => s.iccid === target)
          .at(-1)?.status,
      ).toBe(next.toUpperCase())
      await c.editDevice(target, { ratePlan: 'hphlr rp1', overageLimitOverride: 'TEMPORARY_OVERRIDE' })
      expect((await c.getDevice(target)).overageLimitOverride).toBe('TEMPORARY_OVERRIDE')
    })

    it('maps a refused change to VALIDATION with the carrier code, and checks its own input first', async () => {
      const c = client()
      const e = await rejection(c.editDevice(iccid(3), { ratePlan: 'No Such Plan' }))
      expect(e.code).toBe('VALIDATION')
      expect(e.details).toMatchObject({ ref: { key: 'carrier.invalidRequest' }, carrierCode: '10000013' })
      expect((await rejection(c.editDevice(iccid(3), {}))).details?.ref?.key).toBe('sim.noChanges')
      expect((await rejection(c.editDevice(iccid(3), { status: 'purged' }))).details?.ref).toEqual({ key: 'sim.statusNotSettable', params: { status: 'purged' } })
    })

    it('pages through a search until lastPage, every SIM once, the + of the offset encoded', async () => {
      const seen: string[] = []
      let pages = 0
      for await (const page of client().searchDevices({ modifiedSince: new Date('2000-01-01T00:00:00Z'), pageSize: 10 })) {
        pages += 1
        expect(page.pageNumber).toBe(pages)
        seen.push(...page.devices.map((d) => d.iccid))
      }
      expect(pages).toBe(6)
      expect(seen.sort()).toEqual([...peer.iccids].sort())
    })

    it('filters a search by status and refuses a page size over 50', async () => {
      for await (const page of client().searchDevices({ modifiedSince: '2000-01-01T00:00:00+00:00', status: 'activated' })) {
        expect(page.devices.every((d) => d.status === 'activated' && d.statusRaw === 'ACTIVATED')).toBe(true)
      }
      const pages = client().searchDevices({ modifiedSince: '2000-01-01T00:00:00Z', pageSize: 51 })
      expect((await rejection(pages.next())).details?.ref).toEqual({ key: 'carrier.invalidPageSize', params: { max: 50 } })
    })

    it('reads the session', async () => {
      const session = await client().sessionInfo(iccid(4))
      expect(session.iccid).toBe(iccid(4))
      expect(session.inSession).toBe(session.dateSessionStarted !== null && session.dateSessionEnded === null)
    })

    it('lists rate plans, and says FORBIDDEN for a role without access', async () => {
      expect((await client().ratePlans()).map((p) => p.name)).toEqual([...peer.ratePlans])
      const e = await rejection(client({ username: 'viewer', apiKey: 'viewer-key' }).ratePlans())
      expect(e.code).toBe('FORBIDDEN')
      expect(e.details?.carrierCode).toBe('10000030')
    })

    it('speaks for AT&T with the same API', async () => {
      const att = client({ carrier: 'atnt', baseUrl: `${peer.url}/rws/api/v1/` })
      expect((await att.getDevice(iccid(5), { usage: false })).carrier).toBe('atnt')
      expect((await rejection(att.getDevice('8901170000000000000'))).message).toContain('AT&T Control Center')
    })
  })

  describe('malformed requests and odd answers', () => {
    it('maps JSON not well formed (10000023) and an unknown parameter (10000028) to CARRIER', async () => {
      const c = client()
      const malformed = await rejection(c.restRequest('PUT', `/devices/${iccid(6)}`, { body: '{"status": ' }))
      expect(malformed).toMatchObject({ code: 'CARRIER' })
      expect(malformed.details).toMatchObject({ ref: { key: 'carrier.requestRejected', params: { code: '10000023' } }, carrierCode: '10000023' })
      const unknown = await rejection(c.restRequest('GET', `/devices/${iccid(6)}`, { query: { colour: 'blue' } }))
      expect(unknown.details).toMatchObject({ carrierCode: '10000028' })
      expect(unknown.details?.carrierMessage).toContain('colour')
      expect(await c.restRequest('GET', '/echo/hello')).toEqual({ context: 'hello' })
    })

    it('handles an HTML error page without crashing', async () => {
      peer.faults.set({ kind: 'html', status: 404, times: 1 })
      const notApi = await rejection(client().getDevice(iccid(7)))
      expect(notApi.details?.ref?.key).toBe('carrier.notControlCenter')
      peer.faults.set({ kind: 'html', status: 502, times: 5 })
      const before = peer.stats().byRoute['GET /devices/{iccid}'] ?? 0
      const gateway = await rejection(client().getDevice(iccid(7)))
      expect(gateway.code).toBe('CARRIER')
      expect(gateway.details).toMatchObject({ ref: { key: 'carrier.unavailable', params: { status: 502 } }, carrierMessage: '502 Bad Gateway' })
      expect((peer.stats().byRoute['GET /devices/{iccid}'] ?? 0) - before).toBe(3)
    })

    it('decodes ISO-8859-1 error bodies', async () => {
      peer.faults.set({ kind: 'latin1', times: 1 })
      const server = await rejection(client().getDevice(iccid(8)))
      expect(server.code).toBe('CARRIER')
      expect(server.details).toMatchObject({ carrierCode: '30000001', carrierMessage: LATIN1_FAULT_MESSAGE })
      peer.faults.set({ kind: 'latin1', times: 1 })
      const missing = await rejection(client().getDevice('8901170000000000000'))
      expect(missing.details).toMatchObject({ ref: { key: 'sim.notFound' }, carrierCode: '20000001', carrierMessage: LATIN1_FAULT_MESSAGE })
    })

    it('reads a body that arrives slowly', async () => {
      peer.faults.set({ kind: 'slowBody', bytesPerSecond: 4000, times: 1 })
      expect((await client().getDevice(iccid(8), { usage: false })).iccid).toBe(iccid(8))
    })

    it('retries a GET through 503s and reports RATE_LIMITED when 429 persists', async () => {
      peer.faults.set({ kind: 'status', status: 503, times: 2, path: /\/devices\/\d+$/ })
      expect((await client().getDevice(iccid(9), { usage: false })).iccid).toBe(iccid(9))
      peer.faults.set({ kind: 'status', status: 429, retryAfterSeconds: 0, times: 10 })
      const e = await rejection(client().getDevice(iccid(9)))
      expect(e.code).toBe('RATE_LIMITED')
      expect(e.details).toMatchObject({ ref: { key: 'carrier.rateLimited' }, carrierCode: '40000029' })
    })
  })

  describe('usage', () => {
    it('agrees between ctdUsages and the open cycle of usageInZone', async () => {
      const c = client()
      for (const n of [10, 11, 12, 13]) {
        const [ctd, zone] = [await c.ctdUsage(iccid(n)), await c.usageInZone(iccid(n), cycleStart(0))]
        expect(cycleUsageSchema.parse(zone)).toEqual(zone)
        expect(zone).toMatchObject({ source: 'rest-usageInZone', cycleStartDate: cycleStart(0), billableDataBytes: null })
        expect(zone.totalDataBytes).toBe(ctd.monthToDate.dataBytes)
      }
    })

    it('gives the same bytes through REST and through SOAP (MB × 1,048,576) for a closed cycle', async () => {
      const c = client()
      let compared: { rest: CycleUsage; soap: CycleUsage } | null = null
      for (let n = 0; n < peer.iccids.length && !compared; n++) {
        for (const back of [1, 2]) {
          const soap = await c.terminalUsage(iccid(n), cycleStart(back)).catch((e: unknown) => {
            if (e instanceof AppError && e.details?.ref?.key === 'sim.noUsage') return null
            throw e
          })
          if (soap && soap.totalDataBytes > 0) {
            compared = { rest: await c.usageInZone(iccid(n), cycleStart(back)), soap }
            break
          }
        }
      }
      expect(compared).not.toBeNull()
      expect(compared?.soap).toMatchObject({ source: 'soap-GetTerminalUsage', billable: true })
      expect(compared?.soap.totalDataBytes).toBe(compared?.rest.totalDataBytes)
      expect(compared?.soap.smsCount).toBe(compared?.rest.smsCount)
      expect(compared?.soap.voiceSeconds).toBe(compared?.rest.voiceSeconds)
    })

    it('uses REST for the last three cycles and SOAP for older ones', async () => {
      const c = client()
      expect((await c.usageForCycle(iccid(14), cycleStart(2))).source).toBe('rest-usageInZone')
      const older = await c.usageForCycle(iccid(14), cycleStart(6)).catch((e: unknown) => e)
      // Either the SOAP answer, or SOAP's "no usage in that cycle": both prove the call went to SOAP.
      if (older instanceof AppError) expect(older.details).toMatchObject({ ref: { key: 'sim.noUsage' }, carrierCode: '200200' })
      else expect((older as CycleUsage).source).toBe('soap-GetTerminalUsage')
      expect(peer.stats().byRoute['SOAP GetTerminalUsage']).toBeGreaterThan(0)
    })

    it('says SOAP credentials are needed for older cycles when the profile has none', async () => {
      const c = client({ password: undefined, licenseKey: undefined })
      const e = await rejection(c.usageForCycle(iccid(14), cycleStart(6)))
      expect(e.code).toBe('VALIDATION')
      expect(e.details?.ref).toEqual({ key: 'sim.olderCycleNeedsSoap', params: { cycleStartDate: cycleStart(6) } })
      expect((await rejection(c.terminalUsage(iccid(14), cycleStart(6)))).details?.ref?.key).toBe('carrier.soapCredentialsMissing')
    })

    it('maps SOAP faults: no usage (200200), wrong password (400200), wrong licence key (400100)', async () => {
      const open = await rejection(client().terminalUsage(iccid(15), cycleStart(0)))
      expect(open.code).toBe('NOT_FOUND')
      expect(open.details).toMatchObject({ ref: { key: 'sim.noUsage', params: { iccid: iccid(15) } }, carrierCode: '200200' })
      const password = await rejection(client({ password: 'wrong' }).terminalUsage(iccid(15), cycleStart(5)))
      expect(password).toMatchObject({ code: 'AUTH_FAILED' })
      expect(password.details).toMatchObject({ ref: { key: 'carrier.invalidPassword' }, carrierCode: '400200' })
      const licence = await rejection(client({ licenseKey: 'wrong' }).terminalUsage(iccid(15), cycleStart(5)))
      expect(licence.details).toMatchObject({ ref: { key: 'carrier.invalidLicenseKey' }, carrierCode: '400100' })
    })

    it('decodes an ISO-8859-1 SOAP fault', async () => {
      peer.faults.set({ kind: 'latin1', times: 1, path: /\/ws\/service\// })
      const e = await rejection(client().terminalUsage(iccid(15), cycleStart(5)))
      expect(e.details?.carrierMessage).toContain(LATIN1_FAULT_MESSAGE)
    })

    it('checks cycle dates before asking', async () => {
      const c = client()
      expect((await rejection(c.usageForCycle(iccid(15), '2024-13-01'))).details?.ref?.key).toBe('sim.invalidCycleDate')
      expect((await rejection(c.usageForCycle(iccid(15), '2999-01-01'))).details?.ref?.key).toBe('sim.cycleInFuture')
    })
  })

  describe('SMS', () => {
    it('sends and reads back', async () => {
      const c = client()
      const { smsMsgId } = await c.sendSms(iccid(16), 'Relevé à 06:00 ✓')
      expect(smsMsgId).toMatch(/^\d+$/)
      const details = await c.smsDetails(smsMsgId)
      expect(details).toMatchObject({ smsMsgId, messageText: 'Relevé à 06:00 ✓', msgType: 'MT', iccid: iccid(16) })
      expect(['Pending', 'Delivered', 'Failed']).toContain(details.status)
      expect(details.dateSent).toMatch(/Z$/)
    })

    it('refuses a too-long text before sending', async () => {
      const before = peer.stats().smsSent
      const e = await rejection(client().sendSms(iccid(16), 'x'.repeat(71), { dataCoding: 8 }))
      expect(e.details?.ref).toEqual({ key: 'sim.smsTooLong', params: { length: 71, max: 70 } })
      expect(peer.stats().smsSent).toBe(before)
    })

    it('reports an unknown SMS id as NOT_FOUND', async () => {
      const e = await rejection(client().smsDetails('1'))
      expect(e.code).toBe('NOT_FOUND')
      expect(e.details?.ref).toEqual({ key: 'sim.smsNotFound', params: { smsMsgId: '1' } })
    })

    it('never sends again after the connection dropped once the service had the SMS', async () => {
      const before = peer.stats()
      peer.faults.set({ kind: 'drop', afterRequest: true, path: /smsMessages/, times: 1 })
      const e = await rejection(client().sendSms(iccid(17), 'once only'))
      expect(e.code).toBe('UNKNOWN_OUTCOME')
      expect(e.details?.ref?.key).toBe('errors.unknownOutcome')
      const after = peer.stats()
      expect(after.smsSent - before.smsSent).toBe(1)
      expect((after.byRoute['POST /devices/{iccid}/smsMessages'] ?? 0) - (before.byRoute['POST /devices/{iccid}/smsMessages'] ?? 0)).toBe(1)
    })

    it('repeats an SMS refused with 429 (certainly not sent), and not one answered 500 or 503', async () => {
      const c = client()
      const before = peer.stats().smsSent
      peer.faults.set({ kind: 'status', status: 429, retryAfterSeconds: 0, times: 1, method: 'POST' })
      await c.sendSms(iccid(18), 'after 429')
      expect(peer.stats().smsSent - before).toBe(1)

      peer.faults.set({ kind: 'status', status: 500, times: 1, method: 'POST' })
      const server = await rejection(c.sendSms(iccid(18), 'after 500'))
      expect(server.code).toBe('UNKNOWN_OUTCOME')
      expect(server.details?.carrierCode).toBe('30000001')

      const posts = peer.stats().byRoute['POST /devices/{iccid}/smsMessages'] ?? 0
      peer.faults.set({ kind: 'status', status: 503, times: 1, method: 'POST' })
      expect((await rejection(c.sendSms(iccid(18), 'after 503'))).code).toBe('UNKNOWN_OUTCOME')
      expect((peer.stats().byRoute['POST /devices/{iccid}/smsMessages'] ?? 0) - posts).toBe(1)

      peer.faults.set({ kind: 'status', status: 503, retryAfterSeconds: 0, times: 1, method: 'POST' })
      await c.sendSms(iccid(18), 'after 503 with Retry-After')
      expect(peer.stats().smsSent - before).toBe(2)
    })
  })

  it('keeps credentials out of the logs', async () => {
    const lines: string[] = []
    const record = (...args: unknown[]) => void lines.push(JSON.stringify(args))
    const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger
    const c = client({ http: { logger, maxAttempts: 3 } })
    peer.faults.set({ kind: 'status', status: 503, times: 1 })
    await c.getDevice(iccid(19))
    await c.sendSms(iccid(19), 'secret-sms-body')
    await c.terminalUsage(iccid(19), cycleStart(5)).catch(() => undefined)
    const all = lines.join('\n')
    expect(lines.length).toBeGreaterThan(3)
    for (const secret of ['test-api-key', 'test-password', 'test-license-key', Buffer.from('ops:test-api-key').toString('base64'), 'secret-sms-body']) {
      expect(all).not.toContain(secret)
    }
  })
})
