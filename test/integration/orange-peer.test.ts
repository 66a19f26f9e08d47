import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { child, parseXml } from '../../src-main/core/carriers/xml-dom'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'

/**
 * The peer on its own, with hand-written envelopes: it must refuse what a schema-checking SOAP 1.1 service refuses,
 * so that a client bug shows up against it rather than in production.
 */
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/'
const WS = 'http://webservice.malima.francetelecom.com/v1'
const CM = 'http://common.types.malima.francetelecom.com'
const CD = 'http://connectivityDirectory.types.malima.francetelecom.com'
const SLM = 'http://simLifecycleManagement.types.malima.francetelecom.com'
const DIS = 'http://deviceInfo.types.malima.francetelecom.com'
const EX = 'http://exception.malima.francetelecom.com'
const AUTH = `Basic ${Buffer.from('ak-test:test-password').toString('base64')}`

const envelope = (body: string) =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="${SOAP}" xmlns:ws="${WS}" xmlns:cm="${CM}" xmlns:cd="${CD}" xmlns:slm="${SLM}" xmlns:dis="${DIS}"><s:Body>${body}</s:Body></s:Envelope>`

let now = Date.parse('2025-06-01T08:00:00Z')

describe('Orange peer', () => {
  let peer: OrangePeer
  const post = async (service: string, xml: string, headers: Record<string, string> = {}) => {
    const res = await request(`${peer.url}${service}`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...headers }, body: xml })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, text, doc: parseXml(text) }
  }
  const faultOf = (doc: ReturnType<typeof parseXml>) => child(child(doc ?? undefined, SOAP, 'Body'), SOAP, 'Fault')
  const directory = (inner: string) => post('/ConnectivityDirectory-1', envelope(`<ws:getConnectivityDirectory>${inner}</ws:getConnectivityDirectory>`))

  beforeAll(async () => {
    peer = await startOrangePeer({ lines: 8, now: () => new Date(now), ticketTiming: { waitingMs: 1000, workMs: 1000 }, maxLinesPerRequest: 2 })
  })
  afterEach(() => peer.faults.clear())
  afterAll(() => peer.close())

  it('answers a well-formed request with the operation response in the web-service namespace', async () => {
    const r = await directory(`<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers><cd:showIccid>true</cd:showIccid>`)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^text\/xml/)
    const response = child(child(r.doc ?? undefined, SOAP, 'Body'), WS, 'getConnectivityDirectoryResponse')
    const entry = child(response, CD, 'connectivityDirectory')
    expect(child(child(entry, CD, 'sim'), CM, 'serialNumber')?.text).toBe(peer.serials[0])
    expect(child(entry, CD, 'iccid')?.text).toBe(peer.line(peer.serials[0]!).iccid)
    // No showImsi: no IMSI.
    expect(child(entry, CD, 'imsi')).toBeUndefined()
  })

  it('challenges for Basic credentials, refuses a wrong password, and counts neither as an operation', async () => {
    for (const authorization of ['', `Basic ${Buffer.from('ak-test:wrong').toString('base64')}`, 'Bearer x']) {
      const r = await post('/ConnectivityDirectory-1', envelope('<ws:getConnectivityDirectory/>'), { authorization })
      expect(r.status).toBe(401)
      expect(r.headers['www-authenticate']).toBe('Basic realm="IOSW"')
    }
    expect(peer.stats().byOperation.getConnectivityDirectory ?? 0).toBe(1)
  })

  it('refuses what a SOAP 1.1 endpoint refuses: GET, another path, JSON, no SOAPAction, SOAP 1.2, not XML', async () => {
    expect((await request(`${peer.url}/ConnectivityDirectory-1`, { headers: { authorization: AUTH } })).statusCode).toBe(405)
    const other = await post('/Nope-1', envelope(''))
    expect(other.status).toBe(404)
    expect(other.headers['content-type']).toMatch(/^text\/html/)
    expect((await post('/ConnectivityDirectory-1', '{}', { 'content-type': 'application/json' })).status).toBe(415)
    const noAction = await request(`${peer.url}/ConnectivityDirectory-1`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'text/xml' }, body: envelope('') })
    expect(noAction.statusCode).toBe(500)
    expect(await noAction.body.text()).toContain('Missing SOAPAction header')
    const soap12 = await post('/ConnectivityDirectory-1', envelope('').replaceAll(SOAP, 'http://www.w3.org/2003/05/soap-envelope'))
    expect(child(faultOf(soap12.doc), null, 'faultstring')?.text).toBe('Only SOAP 1.1 is supported')
    const garbage = await post('/ConnectivityDirectory-1', '<s:Envelope')
    expect(child(faultOf(garbage.doc), null, 'faultcode')?.text).toBe('soap:Client')
  })

  it('refuses elements in the wrong namespace, out of order, unknown, or of the wrong type', async () => {
    const cases = [
      // The serial number belongs to common.xsd, not to the connectivity directory's namespace.
      `<cd:lineIdentifiers><cd:simSerialNumber>${peer.serials[0]}</cd:simSerialNumber></cd:lineIdentifiers>`,
      // showIccid before lineIdentifiers: the schema is a sequence.
      `<cd:showIccid>true</cd:showIccid><cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers>`,
      `<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers><cd:showIccid>yes</cd:showIccid>`,
      `<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber><cm:deviceImei>1</cm:deviceImei></cd:lineIdentifiers>`,
      `<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers><cd:showColour>true</cd:showColour>`,
    ]
    for (const inner of cases) {
      const r = await directory(inner)
      expect(r.status, inner).toBe(500)
      expect(child(faultOf(r.doc), null, 'faultcode')?.text, inner).toBe('soap:Client')
      expect(child(faultOf(r.doc), null, 'faultstring')?.text, inner).toMatch(/^Unmarshalling Error/)
    }
    const wrongWrapper = await post('/SimLifecycleManagement-1', envelope('<ws:getConnectivityDirectory/>'))
    expect(child(faultOf(wrongWrapper.doc), null, 'faultstring')?.text).toContain('Unexpected wrapper element')
    const badStatus = await post(
      '/SimLifecycleManagement-1',
      envelope(
        `<ws:submitUpdateSimStatusRequest><slm:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></slm:lineIdentifiers><slm:requestedStatus>CANCELLED</slm:requestedStatus></ws:submitUpdateSimStatusRequest>`,
      ),
    )
    expect(child(faultOf(badStatus.doc), null, 'faultstring')?.text).toContain('not a facet-valid value')
    expect(peer.stats().submissions.status).toBe(0)
  })

  it('sends exceptions.xsd faults with unqualified children, and DeviceInfo faults in its own namespace', async () => {
    const tooMany = await directory(
      `<cd:lineIdentifiers>${peer.serials
        .slice(0, 3)
        .map((s) => `<cm:simSerialNumber>${s}</cm:simSerialNumber>`)
        .join('')}</cd:lineIdentifiers>`,
    )
    const detail = child(faultOf(tooMany.doc), null, 'detail')
    expect(child(detail, EX, 'TooManyLineIdentifiersError')?.children).toMatchObject([{ ns: null, local: 'maxAllowedLineIdentifiersNumber', text: '2' }])
    const unknown = await post('/DeviceInfo-1', envelope('<ws:getSimReport><dis:ticketNumber>77</dis:ticketNumber></ws:getSimReport>'))
    expect(child(child(faultOf(unknown.doc), null, 'detail'), DIS, 'UnknownTicketError')?.children).toMatchObject([{ ns: DIS, local: 'ticketNumber', text: '77' }])
  })

  it('moves a ticket on its clock and gives the final result once', async () => {
    const submit = await post(
      '/SimLifecycleManagement-1',
      envelope(
        `<ws:submitUpdateSimStatusRequest><slm:lineIdentifiers><cm:simSerialNumber>${peer.serials[1]}</cm:simSerialNumber><cm:simSerialNumber>1600000000008</cm:simSerialNumber></slm:lineIdentifiers><slm:requestedStatus>ACTIVATED</slm:requestedStatus></ws:submitUpdateSimStatusRequest>`,
      ),
    )
    const answer = child(child(submit.doc ?? undefined, SOAP, 'Body'), WS, 'submitUpdateSimStatusRequestResponse')
    const ticket = child(answer, SLM, 'ticketNumber')!.text
    expect(child(child(answer, SLM, 'unknownLineIdentifiers'), CM, 'simSerialNumber')?.text).toBe('1600000000008')
    const result = async () => post('/SimLifecycleManagement-1', envelope(`<ws:getUpdateSimStatusResult><slm:ticketNumber>${ticket}</slm:ticketNumber></ws:getUpdateSimStatusResult>`))
    const state = async () => child(child(child((await result()).doc ?? undefined, SOAP, 'Body'), WS, 'getUpdateSimStatusResultResponse'), SLM, 'globalProcessingStatus')?.text
    expect(await state()).toBe('WAITING')
    expect(await state()).toBe('WAITING')
    now += 1000
    expect(await state()).toBe('WORK_IN_PROGRESS')
    now += 1000
    expect(peer.line(peer.serials[1]!).status).toBe('ACTIVATED')
    expect(await state()).toBe('TERMINATED')
    const again = await result()
    expect(child(child(faultOf(again.doc), null, 'detail'), EX, 'ResultAlreadyRetrievedError')).toBeDefined()
  })

  it('injects faults: a typed fault with its status, an HTML page, a reset connection; and refuses a fault the operation does not declare', async () => {
    peer.faults.set({ kind: 'soapFault', fault: 'TelcoISError', code: 'T1', message: 'down', operation: 'getConnectivityDirectory', times: 1 })
    const telco = await directory(`<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers>`)
    expect(telco.status).toBe(500)
    expect(child(child(faultOf(telco.doc), null, 'detail'), EX, 'TelcoISError')).toBeDefined()
    peer.faults.set({ kind: 'html', status: 502, times: 1 })
    const html = await directory(`<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers>`)
    expect(html.status).toBe(502)
    expect(html.text).toContain('<title>502 Bad Gateway</title>')
    peer.faults.set({ kind: 'drop', times: 1 })
    await expect(directory(`<cd:lineIdentifiers><cm:simSerialNumber>${peer.serials[0]}</cm:simSerialNumber></cd:lineIdentifiers>`)).rejects.toThrow()
    expect(() => peer.faults.set({ kind: 'soapFault', fault: 'TelcoISError', operation: 'getSimReport' })).toThrow('getSimReport does not declare TelcoISError')
    // Without an operation, a fault only reaches operations that declare it: DeviceInfo answers normally.
    peer.faults.set({ kind: 'soapFault', fault: 'InvalidParameterError', times: 1 })
    const report = await post('/DeviceInfo-1', envelope('<ws:getSimReport><dis:ticketNumber>1</dis:ticketNumber></ws:getSimReport>'))
    expect(child(child(faultOf(report.doc), null, 'detail'), DIS, 'UnknownTicketError')).toBeDefined()
  })
})
