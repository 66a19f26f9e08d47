/**
 * Fieldline's Control Center client sends what Cisco's documented requests send (issue 9, deliverable 4). Control
 * Center has no official npm client, so the reference is Cisco's own material: the request examples of
 * developer.cisco.com/docs/control-center (curl with `Authorization: Basic`, `Accept: application/json` and, with a
 * body, `Content-Type: application/json`) and the request collection's paths and queries (cfalcken/cisco-iot-control-
 * center, Postman/cc-rest-postman-collection.json). Every call goes through a raw node:http server that records it
 * as it arrives and forwards it to the Control Center peer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createControlCenterClient, type ControlCenterClient } from '../../src-main/core/carriers/control-center/control-center.client'
import { startWireCapture, type CapturedRequest, type WireCapture } from '../helpers/wire-capture'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'

let peer: ControlCenterPeer
let wire: WireCapture
let client: ControlCenterClient
let iccid = ''

const BASIC = `Basic ${Buffer.from('ops:test-api-key').toString('base64')}`

beforeAll(async () => {
  peer = await startControlCenterPeer({ devices: 10, smsDeliveryMs: 10 })
  wire = await startWireCapture(peer.url)
  client = createControlCenterClient({ carrier: 'jasper', baseUrl: wire.url, username: 'ops', apiKey: 'test-api-key', password: 'test-password', licenseKey: 'test-license-key' })
  iccid = peer.iccids[0]!
})

afterAll(async () => {
  await client?.close()
  await wire?.close()
  await peer?.close()
})

beforeEach(() => wire.clear())

const only = (): CapturedRequest => {
  const all = wire.requests
  expect(all).toHaveLength(1)
  return all[0]!
}

/** The documented header set: Basic credentials and JSON accepted; Content-Type only when there is a body. */
function expectDocumentedHeaders(r: CapturedRequest, withBody: boolean): void {
  expect(r.headers.authorization).toBe(BASIC)
  expect(r.headers.accept).toBe('application/json')
  if (withBody) expect(r.headers['content-type']).toBe('application/json')
  else expect(r.headers['content-type']).toBeUndefined()
  expect(r.text === '').toBe(!withBody)
}

describe("our Control Center client on the wire, next to Cisco's documented requests", () => {
  it('Get Device Details and Get Device Usage: GET /devices/{iccid} and /ctdUsages, no query, no body', async () => {
    await client.getDevice(iccid)
    const [details, usage] = wire.requests
    expect([details!.method, details!.path, details!.rawQuery]).toEqual(['GET', `/rws/api/v1/devices/${iccid}`, ''])
    expect([usage!.method, usage!.path, usage!.rawQuery]).toEqual(['GET', `/rws/api/v1/devices/${iccid}/ctdUsages`, ''])
    for (const r of [details!, usage!]) expectDocumentedHeaders(r, false)
  })

  it('Send SMS: POST /devices/{iccid}/smsMessages without a trailing slash, a JSON body with only the options given', async () => {
    await client.sendSms(iccid, 'Hello world')
    const r = only()
    expect([r.method, r.path]).toEqual(['POST', `/rws/api/v1/devices/${iccid}/smsMessages`])
    expectDocumentedHeaders(r, true)
    expect(JSON.parse(r.text)).toEqual({ messageText: 'Hello world' })
    wire.clear()
    await client.sendSms(iccid, 'SGk=', { encoding: 'BASE64', dataCoding: 4, tpvp: 10 })
    expect(JSON.parse(only().text)).toEqual({ messageText: 'SGk=', messageEncoding: 'BASE64', dataCoding: 4, tpvp: 10 })
  })

  it('Get SMS Details: GET /smsMessages/{smsMsgId}', async () => {
    const { smsMsgId } = await client.sendSms(iccid, 'x')
    wire.clear()
    await client.smsDetails(smsMsgId)
    const r = only()
    expect([r.method, r.path, r.rawQuery]).toEqual(['GET', `/rws/api/v1/smsMessages/${smsMsgId}`, ''])
    expectDocumentedHeaders(r, false)
  })

  it('Edit Device Details: PUT /devices/{iccid} with only the changed members', async () => {
    await client.editDevice(iccid, { status: 'activated' })
    const r = only()
    expect([r.method, r.path]).toEqual(['PUT', `/rws/api/v1/devices/${iccid}`])
    expectDocumentedHeaders(r, true)
    expect(JSON.parse(r.text)).toEqual({ status: 'ACTIVATED' })
  })

  it("Search Devices: modifiedSince with ':' and '+' percent-encoded as the collection writes it, then paging", async () => {
    for await (const page of client.searchDevices({ modifiedSince: '2014-01-01T00:00:00Z', pageSize: 5 })) void page
    const [first, second] = wire.requests
    expect(first!.path).toBe('/rws/api/v1/devices')
    expect(first!.rawQuery).toBe('modifiedSince=2014-01-01T00%3A00%3A00%2B00%3A00&pageSize=5&pageNumber=1')
    expect(second!.rawQuery).toBe('modifiedSince=2014-01-01T00%3A00%3A00%2B00%3A00&pageSize=5&pageNumber=2')
    expectDocumentedHeaders(first!, false)
  })

  it('Get Rate Plans, Get Session Info and usageInZone: the documented paths and query', async () => {
    await client.ratePlans()
    await client.sessionInfo(iccid)
    await client.usageInZone(iccid)
    const [plans, session, zone] = wire.requests
    expect([plans!.path, plans!.rawQuery]).toEqual(['/rws/api/v1/rateplans', 'pageSize=50&pageNumber=1'])
    expect([session!.path, session!.rawQuery]).toEqual([`/rws/api/v1/devices/${iccid}/sessionInfo`, ''])
    expect([zone!.path, zone!.rawQuery]).toEqual([`/rws/api/v1/devices/${iccid}/usageInZone`, ''])
    for (const r of [plans!, session!, zone!]) expectDocumentedHeaders(r, false)
  })

  it('leaves empty query values out instead of sending name= (an empty value is not an omitted one to every server)', async () => {
    await client.restRequest('GET', '/devices', { query: { modifiedSince: '2014-01-01T00:00:00+00:00', accountId: '', status: undefined, pageSize: null, pageNumber: 1 } })
    const r = only()
    expect(r.query.map(([name]) => name)).toEqual(['modifiedSince', 'pageNumber'])
    expect(r.rawQuery).not.toMatch(/=(&|$)/)
  })

  it('SOAP GetTerminalUsage: text/xml;charset=UTF-8 and the quoted SOAPAction of §2.1', async () => {
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 8) + '01'
    await client.terminalUsage(iccid, old).catch(() => undefined)
    const r = only()
    expect([r.method, r.path]).toEqual(['POST', '/ws/service/billing'])
    expect(r.headers['content-type']).toBe('text/xml;charset=UTF-8')
    expect(r.headers.soapaction).toBe('"http://api.jasperwireless.com/ws/service/billing/GetTerminalUsage"')
    expect(r.headers.authorization).toBeUndefined()
  })
})
