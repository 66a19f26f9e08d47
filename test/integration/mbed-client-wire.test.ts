/**
 * What the mbed REST client (src-main/core/mbed/connector.client.ts) puts on the wire, captured by a raw node:http
 * server: method, path, query, headers and body of every call, compared with what the spec (§1.3, §1.4) and ARM's
 * official Connector client (mbed-connector-api lib/endpoints.js, lib/subscriptions.js) send.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMbedClient, type MbedClient, type MbedFlavour } from '../../src-main/core/mbed/connector.client'
import { startWireCapture, type CapturedRequest, type Reply } from '../helpers/wire-capture'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function capture(answer: (req: CapturedRequest) => Reply, flavour: MbedFlavour = 'connector'): Promise<{ client: MbedClient; requests: CapturedRequest[] }> {
  const wire = await startWireCapture(answer)
  cleanups.push(() => wire.close())
  const client = createMbedClient({ baseUrl: wire.url, accessKey: 'ak_wire', flavour })
  cleanups.push(() => client.close())
  return { client, requests: wire.requests }
}

const asyncId = { status: 202, headers: { 'content-type': 'application/json' }, body: '{"async-response-id":"1#ep@d/3/0/1"}' }

describe('mbed client on the wire: resource requests (§1.3)', () => {
  it('PUT sends the value with its content type and accept: application/json', async () => {
    const { client, requests } = await capture(() => asyncId)
    await client.resourceRequest({ ep: 'node-1', path: '/3311/0/5850', method: 'PUT', payload: Buffer.from('75') })
    const [put] = requests
    expect(put).toMatchObject({ method: 'PUT', path: '/v2/endpoints/node-1/3311/0/5850', params: {} })
    expect(put?.headers).toMatchObject({ authorization: 'Bearer ak_wire', accept: 'application/json', 'content-type': 'text/plain' })
    expect(put?.body.toString()).toBe('75')
  })

  it('POST without payload (execute) sends no body and no content type; with one, its type', async () => {
    const { client, requests } = await capture(() => asyncId)
    await client.resourceRequest({ ep: 'node-1', path: '/3/0/4', method: 'POST' })
    await client.resourceRequest({ ep: 'node-1', path: '/3/0/4', method: 'POST', payload: Buffer.from('{"a":1}'), contentType: 'application/json' })
    expect(requests[0]?.headers['content-type']).toBeUndefined()
    expect(requests[0]?.headers.accept).toBe('application/json')
    expect(requests[0]?.body.length).toBe(0)
    expect(requests[1]?.headers['content-type']).toBe('application/json')
    expect(requests[1]?.body.toString()).toBe('{"a":1}')
  })

  it('GET (with cacheOnly) and DELETE (with noResp) carry their query options and no body', async () => {
    const { client, requests } = await capture((req) => (req.params.cacheOnly === 'true' ? { status: 205 } : req.params.noResp === 'true' ? { status: 204 } : asyncId))
    expect(await client.resourceRequest({ ep: 'node-1', path: '/3/0/1', method: 'GET', cacheOnly: true })).toMatchObject({ kind: 'done', status: 205 })
    expect(await client.resourceRequest({ ep: 'node-1', path: '/3/0/1', method: 'DELETE', noResp: true })).toMatchObject({ kind: 'done', status: 204 })
    expect(await client.resourceRequest({ ep: 'node-1', path: '/3/0/1', method: 'GET' })).toMatchObject({ kind: 'async', asyncId: '1#ep@d/3/0/1' })
    expect(requests.map((r) => [r.method, r.path, r.params, r.headers.accept, r.headers['content-type'], r.body.length])).toEqual([
      ['GET', '/v2/endpoints/node-1/3/0/1', { cacheOnly: 'true' }, '*/*', undefined, 0],
      ['DELETE', '/v2/endpoints/node-1/3/0/1', { noResp: 'true' }, 'application/json', undefined, 0],
      ['GET', '/v2/endpoints/node-1/3/0/1', {}, '*/*', undefined, 0],
    ])
  })

  it('refuses cacheOnly on anything but GET before sending', async () => {
    const { client, requests } = await capture(() => asyncId)
    await expect(client.resourceRequest({ ep: 'node-1', path: '/3/0/1', method: 'PUT', payload: Buffer.from('1'), cacheOnly: true })).rejects.toMatchObject({ code: 'VALIDATION' })
    expect(requests).toEqual([])
  })

  it('Pelion: an execute without payload leaves content-type and payload-b64 out; a write carries both', async () => {
    const { client, requests } = await capture(() => ({ status: 202 }), 'pelion')
    await client.resourceRequest({ ep: 'dev-1', path: '/3/0/4', method: 'POST', asyncId: 'a-1' })
    await client.resourceRequest({ ep: 'dev-1', path: '/3/0/1', method: 'PUT', payload: Buffer.from('x'), asyncId: 'a-2' })
    await client.resourceRequest({ ep: 'dev-1', path: '/3/0/1', method: 'GET', asyncId: 'a-3' })
    expect(requests.map((r) => [r.method, r.path, r.params, r.headers['content-type'], JSON.parse(r.body.toString()) as unknown])).toEqual([
      ['POST', '/v2/device-requests/dev-1', { 'async-id': 'a-1' }, 'application/json', { method: 'POST', uri: '/3/0/4' }],
      ['POST', '/v2/device-requests/dev-1', { 'async-id': 'a-2' }, 'application/json', { method: 'PUT', uri: '/3/0/1', 'content-type': 'text/plain', 'payload-b64': 'eA==' }],
      ['POST', '/v2/device-requests/dev-1', { 'async-id': 'a-3' }, 'application/json', { method: 'GET', uri: '/3/0/1' }],
    ])
  })

  it('Pelion: cacheOnly and noResp use the per-resource form, which has them', async () => {
    const { client, requests } = await capture(() => ({ status: 205 }), 'pelion')
    await client.resourceRequest({ ep: 'dev-1', path: '/3/0/1', method: 'GET', cacheOnly: true })
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/v2/endpoints/dev-1/3/0/1', params: { cacheOnly: 'true' } })
  })
})

describe('mbed client on the wire: subscriptions and pre-subscriptions (§1.4)', () => {
  it('subscribe, read, unsubscribe one resource; list and clear an endpoint', async () => {
    const answers: Reply[] = [
      { status: 200 },
      { status: 200 },
      { status: 404, headers: { 'content-type': 'application/json' }, body: '{}' },
      { status: 204 },
      { status: 200, headers: { 'content-type': 'text/uri-list' }, body: '/3/0/1\n/3303/0/5700\n' },
      { status: 204 },
    ]
    const { client, requests } = await capture(() => answers.shift() ?? { status: 500 })
    expect(await client.subscribe('node 1', '/3303/0/5700')).toEqual({ kind: 'subscribed', status: 200 })
    expect(await client.isSubscribed('node 1', '/3303/0/5700')).toBe(true)
    expect(await client.isSubscribed('node 1', '/3303/0/5700')).toBe(false)
    expect(await client.unsubscribe('node 1', '/3303/0/5700')).toBe(true)
    expect(await client.endpointSubscriptions('node 1')).toEqual(['/3/0/1', '/3303/0/5700'])
    expect(await client.unsubscribeEndpoint('node 1')).toBe(true)
    expect(requests.map((r) => [r.method, r.path, r.headers.accept, r.body.length])).toEqual([
      ['PUT', '/v2/subscriptions/node%201/3303/0/5700', 'application/json', 0],
      ['GET', '/v2/subscriptions/node%201/3303/0/5700', 'application/json', 0],
      ['GET', '/v2/subscriptions/node%201/3303/0/5700', 'application/json', 0],
      ['DELETE', '/v2/subscriptions/node%201/3303/0/5700', 'application/json', 0],
      ['GET', '/v2/subscriptions/node%201', 'text/uri-list', 0],
      ['DELETE', '/v2/subscriptions/node%201', 'application/json', 0],
    ])
    for (const r of requests) expect(r.headers.authorization).toBe('Bearer ak_wire')
  })

  it('names a 412 (not observable) and a 404, and takes 202 + async id', async () => {
    const answers: Reply[] = [{ status: 412, body: '' }, { status: 404, headers: { 'content-type': 'application/json' }, body: '{"code":404,"message":"nope","type":"not_found"}' }, asyncId]
    const { client } = await capture(() => answers.shift() ?? { status: 500 })
    await expect(client.subscribe('n', '/3/0/0')).rejects.toMatchObject({ code: 'CARRIER', details: { carrierCode: '412', ref: { key: 'mbed.notObservable' } } })
    await expect(client.subscribe('n', '/9/9/9')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { carrierCode: '404', ref: { key: 'mbed.subscribeNotFound' } } })
    expect(await client.subscribe('n', '/3/0/1')).toEqual({ kind: 'async', asyncId: '1#ep@d/3/0/1' })
  })

  it('writes and reads pre-subscriptions as the JSON array of §1.4', async () => {
    const rules = [{ 'endpoint-name': 'node*', 'resource-path': ['/dev', '/sen/*'] }, { 'endpoint-type': 'Light' }]
    const answers: Reply[] = [
      { status: 204 },
      { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) },
      { status: 400, headers: { 'content-type': 'application/json' }, body: '{"code":400,"type":"validation_error","message":"too long"}' },
    ]
    const { client, requests } = await capture(() => answers.shift() ?? { status: 500 })
    await client.setPresubscriptions(rules)
    expect(await client.presubscriptions()).toEqual(rules)
    await expect(client.setPresubscriptions([{ 'endpoint-type': 'x' }])).rejects.toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'mbed.presubscriptionsRefused' } } })
    expect(requests[0]).toMatchObject({ method: 'PUT', path: '/v2/subscriptions' })
    expect(requests[0]?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(requests[0]?.body.toString() ?? '')).toEqual(rules)
    expect(requests[1]).toMatchObject({ method: 'GET', path: '/v2/subscriptions' })
  })
})
