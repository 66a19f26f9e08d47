/**
 * The platform REST client (core/platform/platform-rest.client.ts) against test/peers/platform-rest: every status the
 * package operations can meet (docs/wire/dm-packages.md §4 "REST"), the list followed across bookmarks, and transport
 * failures. The peer itself is checked first with plain fetch, so a lenient peer cannot make the client look right.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { DmPackage } from '../../src-shared/models/packages'
import { createPlatformRestClient, type PlatformRestClient } from '../../src-main/core/platform/platform-rest.client'
import { rejection } from '../helpers/core'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

const pkg = (bundleId: string, version = '1.0'): DmPackage => ({
  bundleId,
  version,
  displayName: { en_US: `Package ${bundleId}` },
  actions: { flush: { actionDisplayName: { en_US: 'Flush' }, parameters: [{ name: 'valve', value: '\\w+', required: true }] } },
})

let peer: PlatformRestPeer
let client: PlatformRestClient

beforeAll(async () => {
  peer = await startPlatformRestPeer({ forbiddenKeys: ['a-org1-readonly01'], keys: { [PEER_API_KEY]: PEER_TOKEN, 'a-org1-readonly01': 'ro-token' } })
  client = createPlatformRestClient({ baseUrl: peer.url, apiKey: PEER_API_KEY, token: PEER_TOKEN }, { timeoutMs: { connect: 2000, headers: 2000, body: 2000 } })
})

afterAll(async () => {
  await client?.close()
  await peer?.close()
})

afterEach(() => peer.faults.clear())

const auth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('the peer', () => {
  it('refuses without basic auth, with a wrong token, and a key without the permission', async () => {
    const url = `${peer.url}/mgmt/custom/bundle`
    expect((await fetch(url)).status).toBe(401)
    expect((await fetch(url, { headers: { authorization: auth(PEER_API_KEY, 'wrong') } })).status).toBe(401)
    const forbidden = await fetch(url, { headers: { authorization: auth('a-org1-readonly01', 'ro-token') } })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toMatchObject({ exception: { id: expect.stringMatching(/^CUD/) } })
  })

  it('refuses an invalid package, a coerced form, a repeated parameter, a bad pattern, an unlisted field, and a body that is not JSON', async () => {
    const headers = { authorization: auth(PEER_API_KEY, PEER_TOKEN), 'content-type': 'application/json' }
    const url = `${peer.url}/mgmt/custom/bundle`
    expect((await fetch(url, { method: 'POST', headers, body: JSON.stringify({ bundleId: 'bad id', displayName: { en: 'x' }, actions: {} }) })).status).toBe(400)
    const coerced = { ...pkg('coerced'), actions: { a: { actionDisplayName: { en: 'A' }, parameters: [{ name: 'p', required: 'true' }] } } }
    expect((await fetch(url, { method: 'POST', headers, body: JSON.stringify(coerced) })).status).toBe(400)
    expect((await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: JSON.stringify(pkg('typed')) })).status).toBe(400)
    const twice = { ...pkg('twice-named'), actions: { a: { actionDisplayName: { en: 'A' }, parameters: [{ name: 'p' }, { name: 'p' }] } } }
    const badPattern = { ...pkg('bad-pattern'), actions: { a: { actionDisplayName: { en: 'A' }, parameters: [{ name: 'p', value: '[a-z' }] } } }
    const unlisted = { ...pkg('unlisted'), colour: 'blue' }
    for (const body of [twice, badPattern, unlisted]) expect((await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(400)
    expect(peer.bundles()).toEqual({})
  })

  it('refuses a PUT whose body names another bundle', async () => {
    const headers = { authorization: auth(PEER_API_KEY, PEER_TOKEN), 'content-type': 'application/json' }
    expect((await fetch(`${peer.url}/mgmt/custom/bundle/one`, { method: 'PUT', headers, body: JSON.stringify(pkg('two')) })).status).toBe(400)
  })
})

describe('the client', () => {
  it('creates, reads, replaces, lists and deletes a package', async () => {
    expect(await client.getBundle('valves')).toBeNull()
    await client.createBundle(pkg('valves'))
    expect(peer.requests().at(-1)).toMatchObject({ method: 'POST', status: 201 })
    expect(await client.getBundle('valves')).toEqual(pkg('valves'))
    await client.updateBundle(pkg('valves', '2.0'))
    expect(peer.requests().at(-1)).toMatchObject({ method: 'PUT', status: 200 })
    expect((await client.getBundle('valves'))?.version).toBe('2.0')
    expect((await client.listBundles()).map((b) => b.bundleId)).toEqual(['valves'])
    await client.deleteBundle('valves')
    expect(peer.requests().at(-1)).toMatchObject({ method: 'DELETE', status: 204 })
    expect(await client.getBundle('valves')).toBeNull()
  })

  it('follows the bookmarks of a long list', async () => {
    for (let i = 0; i < 60; i++) await client.createBundle(pkg(`bulk-${String(i).padStart(2, '0')}`))
    const before = peer.requests().length
    const all = await client.listBundles()
    expect(all).toHaveLength(60)
    expect(peer.requests().length - before).toBe(2)
    for (let i = 0; i < 60; i++) await client.deleteBundle(`bulk-${String(i).padStart(2, '0')}`)
    expect(await client.listBundles()).toEqual([])
  })

  it('says 409 when the package is there already, 404 when it is not', async () => {
    await client.createBundle(pkg('twice'))
    const conflict = await rejection(client.createBundle(pkg('twice')))
    expect(conflict.code).toBe('CONFLICT')
    expect(conflict.details?.ref).toEqual({ key: 'dmPlatform.alreadyOnPlatform', params: { bundleId: 'twice' } })
    expect(conflict.details?.carrierCode).toBe('CUDPR0409E')
    await client.deleteBundle('twice')
    const missing = await rejection(client.deleteBundle('twice'))
    expect(missing.code).toBe('NOT_FOUND')
    expect(missing.details?.ref?.key).toBe('dmPlatform.notOnPlatform')
    expect((await rejection(client.updateBundle(pkg('twice')))).details?.ref?.key).toBe('dmPlatform.notOnPlatform')
  })

  it("passes the platform's refusal of a package on", async () => {
    const bad = await rejection(client.createBundle({ ...pkg('x'), actions: {} }))
    expect(bad.code).toBe('VALIDATION')
    expect(bad.details?.ref?.key).toBe('dmPlatform.refused')
    expect(bad.details?.carrierCode).toBe('CUDPR0400E')
  })

  it('names a wrong token (401) and a key without permission (403), and never the token', async () => {
    const wrong = createPlatformRestClient({ baseUrl: peer.url, apiKey: PEER_API_KEY, token: 'not-the-token' })
    const e = await rejection(wrong.listBundles())
    await wrong.close()
    expect(e.code).toBe('AUTH_FAILED')
    expect(e.details?.ref).toEqual({ key: 'dmPlatform.authFailed', params: { host: new URL(peer.url).host } })
    expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain('not-the-token')
    const readonly = createPlatformRestClient({ baseUrl: peer.url, apiKey: 'a-org1-readonly01', token: 'ro-token' })
    const f = await rejection(readonly.getBundle('any'))
    await readonly.close()
    expect(f.code).toBe('FORBIDDEN')
    expect(f.details?.ref?.key).toBe('dmPlatform.forbidden')
  })

  it('reports 5xx as unavailable once the retries of a read are spent, and never repeats a POST on a 502', async () => {
    peer.faults.set({ kind: 'status', status: 500 })
    const e = await rejection(client.listBundles())
    expect(e.code).toBe('CARRIER')
    expect(e.details?.ref).toMatchObject({ key: 'dmPlatform.unavailable', params: { status: 500 } })
    peer.faults.clear()
    peer.faults.set({ kind: 'status', status: 502, times: 1 })
    const before = peer.requests().length
    const post = await rejection(client.createBundle(pkg('once')))
    expect(post.code).toBe('UNKNOWN_OUTCOME')
    expect(peer.requests().length - before).toBe(1)
    expect(peer.bundles()).not.toHaveProperty('once')
  })

  it('says when the address answers with a web page rather than the API', async () => {
    peer.faults.set({ kind: 'html', status: 404 })
    const e = await rejection(client.getBundle('valves'))
    expect(e.code).toBe('NOT_FOUND')
    expect(e.details?.ref).toEqual({ key: 'dmPlatform.notPlatformApi', params: { url: peer.url } })
  })

  it('reports a dropped connection and a closed port as network failures', async () => {
    peer.faults.set({ kind: 'drop' })
    expect((await rejection(client.getBundle('valves'))).code).toBe('NETWORK')
    peer.faults.clear()
    const gone = createPlatformRestClient({ baseUrl: 'http://127.0.0.1:9/api/v0002', apiKey: PEER_API_KEY, token: PEER_TOKEN })
    const e = await rejection(gone.listBundles())
    await gone.close()
    expect(e.code).toBe('NETWORK')
    expect(e.details?.ref?.key).toBe('errors.network')
  })
})
