/**
 * The Watson IoT Platform's official Node client, @wiotp/sdk 0.7.8 (installed from npm), drives the platform REST
 * peer through the custom device-management package operations of the REST API v0002, and each case asserts the
 * documented outcome: list paged with `_limit`/`_bookmark`, POST 201, GET 200, PUT 200, DELETE 204, and the refusals
 * with the platform's error body `{message, exception: {id}}`.
 *
 * The SDK has no bundle operations of its own; its API transport `ApiClient.callApi(method, expectedStatus,
 * expectJson, paths, body, params)` is how every one of its REST operations talks to the platform (basic auth
 * key:token, `Content-Type: application/json` on every request, axios), so the cases call it with the bundle paths.
 *
 * Pointing it at the peer: the SDK builds the base from the org and domain, `https://<org>.<domain>/<apiRoot>`
 * (ApplicationConfig.getApiBaseUri). Its documented options cannot make that `http://127.0.0.1:<port>`: `domain` is
 * put after the org (`org1.127.0.0.1`), the scheme is fixed to https, and `auth.useLtpa` (a browser session) drops
 * basic auth. So PeerConfig, a subclass of the SDK's ApplicationConfig, overrides getApiBaseUri alone and keeps the
 * SDK's own api root: only the origin changes, and the first case checks that the SDK's own base for the same
 * credentials differs from it in the origin and nothing else. Everything else (credential checks, headers, paths,
 * query, JSON encoding, status check) is the SDK's unchanged code. callApi gives no way to set axios' `proxy` option,
 * so 127.0.0.1 is added to NO_PROXY for this worker (axios 0.19 reads it), as the loopback peer must not be proxied.
 *
 * Sources named in each case: "§4 …" = docs/wire/dm-packages.md §4 (the "Package JSON" table and rules, or "REST",
 * which brings the platform's REST conventions: base, basic auth, error body, lists); [I] = the peer's reading where
 * it is silent.
 */
import { ApiClient, ApplicationConfig } from '@wiotp/sdk'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

const BUNDLE = ['mgmt', 'custom', 'bundle']
const READONLY_KEY = 'a-org1-readonly01'
const READONLY_TOKEN = 'ro-token-0987654321'
/** Packages the platform holds at start: more than one default page (25 [I]), so listing must follow bookmarks. */
const SEEDED = 30

let peer: PlatformRestPeer

/** The SDK's ApplicationConfig with the peer's origin in place of `https://<org>.<domain>`; see the header. */
class PeerConfig extends ApplicationConfig {
  override getApiBaseUri(): string {
    return `${new URL(peer.url).origin}/${this.getApiRoot()}`
  }
}

function officialClient(key = PEER_API_KEY, token = PEER_TOKEN, additionalHeaders?: Record<string, string>): ApiClient {
  return new ApiClient(new PeerConfig(null, { key, token }, { logLevel: 'silent', ...(additionalHeaders ? { http: { additionalHeaders } } : {}) }))
}

const pkg = (bundleId: string, extra: Record<string, unknown> = {}) => ({
  bundleId,
  version: '1.0',
  provider: 'some company',
  displayName: { en_US: `Package ${bundleId}` },
  actions: {
    installPlugin: {
      actionDisplayName: { en_US: 'Install plugin' },
      parameters: [
        { name: 'pluginId', value: '\\w+', required: true },
        { name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true },
      ],
    },
  },
  ...extra,
})

interface Refusal {
  status: number
  body: unknown
}

/** The status and body of the answer the SDK rejected (axios' error: callApi's status check failed). */
async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise
  } catch (e) {
    const response = (e as { response?: { status: number; data: unknown } }).response
    if (!response) throw e
    return { status: response.status, body: response.data }
  }
  throw new Error('the official client reported success where a refusal was expected')
}

/** A refusal with `status` and the platform's error body, nothing more: `{message, exception: {id: "CUD…E"}}`. */
async function refused(promise: Promise<unknown>, status: number, message?: RegExp): Promise<void> {
  const r = await refusal(promise)
  expect(r.status).toBe(status)
  expect(r.body).toEqual({ message: expect.any(String), exception: { id: expect.stringMatching(/^CUD[A-Z0-9]+E$/) } })
  if (message) expect((r.body as { message: string }).message).toMatch(message)
}

interface Page {
  results: { bundleId: string }[]
  bookmark?: string
}

const listPage = (params: Record<string, string | number | undefined>, client = officialClient()) => client.callApi('GET', 200, true, BUNDLE, null, params) as Promise<Page>

beforeAll(async () => {
  // See the header: the SDK's transport cannot be told not to use a proxy, so the loopback address is exempted.
  process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1'].filter(Boolean).join(',')
  peer = await startPlatformRestPeer({
    keys: { [PEER_API_KEY]: PEER_TOKEN, [READONLY_KEY]: READONLY_TOKEN },
    forbiddenKeys: [READONLY_KEY],
    bundles: Array.from({ length: SEEDED }, (_, i) => pkg(`seed-${String(i).padStart(2, '0')}`)),
  })
})

afterAll(async () => {
  await peer?.close()
})

describe('platform REST conformance: @wiotp/sdk ApiClient against the peer', () => {
  const suite = conformanceSuite('platform-rest (@wiotp/sdk 0.7.8 ApiClient)')

  suite.case('the SDK derives the base from the API key and only its origin is replaced by the peer', '§4 REST (base)', () => {
    const config = new PeerConfig(null, { key: PEER_API_KEY, token: PEER_TOKEN }, { logLevel: 'silent' })
    expect(config.getOrgId()).toBe('org1')
    expect(ApplicationConfig.prototype.getApiBaseUri.call(config)).toBe('https://org1.internetofthings.ibmcloud.com/api/v0002')
    expect(config.getApiBaseUri()).toBe(peer.url)
  })

  suite.case('list: pages of _limit, each but the last with a bookmark, followed to the end, every package once', '§4 REST (lists)', async () => {
    const client = officialClient()
    const seen: string[] = []
    const sizes: number[] = []
    let bookmark: string | undefined
    for (let pages = 0; pages <= SEEDED; pages++) {
      const page = await listPage({ _limit: 7, _bookmark: bookmark }, client)
      sizes.push(page.results.length)
      seen.push(...page.results.map((b) => b.bundleId))
      bookmark = page.bookmark
      if (bookmark === undefined) break
    }
    expect(bookmark).toBeUndefined()
    const held = Object.keys(peer.bundles()).sort()
    expect([...seen].sort()).toEqual(held)
    expect(new Set(seen).size).toBe(seen.length)
    expect(sizes.slice(0, -1).every((n) => n === 7)).toBe(true)
    expect(sizes.at(-1)).toBe(held.length - 7 * (sizes.length - 1))
  })

  suite.case('list without _limit: a default page (25 [I]) and a bookmark to the rest', '§4 REST (lists), peer [I]', async () => {
    const first = await listPage({})
    expect(first.results).toHaveLength(25)
    expect(first.bookmark).toEqual(expect.any(String))
    const rest = await listPage({ _limit: 100, _bookmark: first.bookmark })
    expect(rest.bookmark).toBeUndefined()
    expect(first.results.length + rest.results.length).toBe(Object.keys(peer.bundles()).length)
  })

  suite.case('create: POST → 201 with the package, which the platform then holds', '§4 REST', async () => {
    const created = await officialClient().callApi('POST', 201, true, BUNDLE, pkg('exampleDeviceType-actions-v1'))
    expect(created).toEqual(pkg('exampleDeviceType-actions-v1'))
    expect(peer.bundles()['exampleDeviceType-actions-v1']).toEqual(pkg('exampleDeviceType-actions-v1'))
    expect(peer.requests().at(-1)).toMatchObject({ method: 'POST', status: 201 })
  })

  // The SDK sends Content-Type: application/json on every request, GET and DELETE included (no body): the platform's
  // own client does so, so the peer must not refuse it (the get and delete cases show it does not).
  suite.case('get: GET one → 200 with the package (Content-Type sent without a body, as the SDK always does)', '§4 REST', async () => {
    const client = officialClient()
    await client.callApi('POST', 201, true, BUNDLE, pkg('get-me'))
    expect(await client.callApi('GET', 200, true, [...BUNDLE, 'get-me'], null)).toEqual(pkg('get-me'))
  })

  suite.case('update: PUT → 200 with the new package, which replaces the old one', '§4 REST', async () => {
    const client = officialClient()
    await client.callApi('POST', 201, true, BUNDLE, pkg('update-me'))
    const next = pkg('update-me', { version: '2.0', description: { en_US: 'Second version' } })
    expect(await client.callApi('PUT', 200, true, [...BUNDLE, 'update-me'], next)).toEqual(next)
    expect(await client.callApi('GET', 200, true, [...BUNDLE, 'update-me'], null)).toEqual(next)
  })

  suite.case('delete: DELETE → 204 with no body; the package is gone (GET → 404)', '§4 REST', async () => {
    const client = officialClient()
    await client.callApi('POST', 201, true, BUNDLE, pkg('delete-me'))
    expect(await client.callApi('DELETE', 204, false, [...BUNDLE, 'delete-me'], null)).toBe('')
    expect(peer.bundles()['delete-me']).toBeUndefined()
    await refused(client.callApi('GET', 200, true, [...BUNDLE, 'delete-me'], null), 404)
  })

  suite.case('duplicate: POST of a bundleId already held → 409, the held package unchanged', '§4 REST [I: 409]', async () => {
    const client = officialClient()
    await client.callApi('POST', 201, true, BUNDLE, pkg('twice'))
    await refused(client.callApi('POST', 201, true, BUNDLE, pkg('twice', { version: '9.9' })), 409, /twice/)
    expect((peer.bundles().twice as { version: string }).version).toBe('1.0')
  })

  suite.case('missing: GET one the platform does not hold → 404', '§4 REST (404 on GET one)', async () => {
    await refused(officialClient().callApi('GET', 200, true, [...BUNDLE, 'no-such-bundle'], null), 404)
  })

  suite.case('missing: PUT or DELETE of one the platform does not hold → 404, nothing created', '§4 REST [I: 404 on PUT, DELETE]', async () => {
    const client = officialClient()
    await refused(client.callApi('PUT', 200, true, [...BUNDLE, 'never-created'], pkg('never-created')), 404)
    await refused(client.callApi('DELETE', 204, false, [...BUNDLE, 'never-created'], null), 404)
    expect(peer.bundles()['never-created']).toBeUndefined()
  })

  // callApi joins the path segments as given, without percent-encoding them.
  suite.case('missing: a bundleId whose percent-encoding is broken (the SDK does not encode ids) → 404', '§4 REST [I: 404, not 500]', async () => {
    await refused(officialClient().callApi('GET', 200, true, [...BUNDLE, '100%'], null), 404)
  })

  suite.case('bad credentials: a wrong token → 401 on every operation, nothing changed', '§4 REST (401)', async () => {
    const client = officialClient(PEER_API_KEY, 'not-the-token')
    await refused(listPage({}, client), 401)
    await refused(client.callApi('POST', 201, true, BUNDLE, pkg('unauthorised')), 401)
    await refused(client.callApi('DELETE', 204, false, [...BUNDLE, 'seed-00'], null), 401)
    await refused(listPage({}, officialClient('a-org1-unknownkey', PEER_TOKEN)), 401)
    expect(peer.bundles().unauthorised).toBeUndefined()
    expect(peer.bundles()['seed-00']).toBeDefined()
  })

  suite.case('no token: the SDK refuses the configuration itself before any request', 'SDK (ApplicationConfig)', () => {
    const before = peer.requests().length
    expect(() => new PeerConfig(null, { key: PEER_API_KEY, token: null as never })).toThrow(/Missing auth.token/)
    expect(peer.requests()).toHaveLength(before)
  })

  suite.case('forbidden key: a key that authenticates without the package permission → 403, nothing changed', '§4 REST [I: 403]', async () => {
    const client = officialClient(READONLY_KEY, READONLY_TOKEN)
    await refused(listPage({}, client), 403)
    await refused(client.callApi('POST', 201, true, BUNDLE, pkg('forbidden')), 403)
    expect(peer.bundles().forbidden).toBeUndefined()
  })

  // The SDK always sends application/json; its documented options.http.additionalHeaders come after that header in
  // callApi, so they are the official way to send another content type.
  suite.case('wrong content type: a package sent as text/plain → 400, not stored', '§4 REST (JSON bodies) [I: 400]', async () => {
    await refused(officialClient(PEER_API_KEY, PEER_TOKEN, { 'Content-Type': 'text/plain' }).callApi('POST', 201, true, BUNDLE, pkg('as-text')), 400, /application\/json/)
    expect(peer.bundles()['as-text']).toBeUndefined()
  })

  const base = pkg('invalid')
  const withParameters = (parameters: unknown[]) => pkg('invalid', { actions: { a: { actionDisplayName: { en_US: 'A' }, parameters } } })
  const invalidBodies: [string, string, unknown][] = [
    ['no bundleId', '§4 Package JSON (bundleId required)', { ...base, bundleId: undefined }],
    ['a bundleId with a space', '§4 Package JSON (characters)', pkg('bad id')],
    ['a bundleId over 255 characters', '§4 Package JSON (≤ 255)', pkg('b'.repeat(256))],
    ['no displayName', '§4 Package JSON (displayName required)', { ...base, displayName: undefined }],
    ['an empty displayName map', '§4 Package JSON (≥ 1 entry)', { ...base, displayName: {} }],
    ['a provider over 1024 characters', '§4 Package JSON (provider ≤ 1024)', { ...base, provider: 'p'.repeat(1025) }],
    ['no actions', '§4 Package JSON (actions required)', { ...base, actions: undefined }],
    ['an empty actions map', '§4 Package JSON (≥ 1 entry)', { ...base, actions: {} }],
    ['an action without actionDisplayName', '§4 Package JSON (actionDisplayName required)', pkg('invalid', { actions: { a: { parameters: [{ name: 'p' }] } } })],
    ['an empty parameters array', '§4 Package JSON (≥ 1 entry if present)', withParameters([])],
    ['a parameter without name', '§4 Package JSON (name required)', withParameters([{ value: '\\w+' }])],
    ['a parameter name twice in one action', '§4 Package JSON (unique within the action)', withParameters([{ name: 'p' }, { name: 'p' }])],
    ['required as the string "true" (IBM\'s sample form)', '§4 Package JSON (boolean) [I: strict]', withParameters([{ name: 'p', required: 'true' }])],
    ['a value that is not a regular expression', '§4 Package JSON (value is a regular expression) [I]', withParameters([{ name: 'p', value: '[a-z' }])],
    ['a field §4 does not list', '§4 Package JSON [I: strict]', { ...base, colour: 'blue' }],
  ]
  for (const [what, source, body] of invalidBodies) {
    suite.case(`invalid package: ${what} → 400 with the platform's error body, not stored`, source, async () => {
      const before = Object.keys(peer.bundles()).length
      await refused(officialClient().callApi('POST', 201, true, BUNDLE, body), 400, /not valid/)
      expect(Object.keys(peer.bundles())).toHaveLength(before)
    })
  }

  // axios (the SDK's transport) sends a string body as it is, under the SDK's application/json.
  suite.case("a body that is not JSON → 400 with the platform's error body", '§4 REST (JSON bodies)', async () => {
    await refused(officialClient().callApi('POST', 201, true, BUNDLE, '{"bundleId":'), 400, /JSON/)
  })

  suite.case('PUT whose body names another bundleId than its path → 400, neither package changed', '§4 REST [I]', async () => {
    await refused(officialClient().callApi('PUT', 200, true, [...BUNDLE, 'seed-01'], pkg('seed-02', { version: '3.0' })), 400)
    expect((peer.bundles()['seed-01'] as { version: string }).version).toBe('1.0')
    expect((peer.bundles()['seed-02'] as { version: string }).version).toBe('1.0')
  })

  for (const limit of ['0', '101', '-1', 'ten', '', '2.5', '0x10', '1e1', ' 5']) {
    suite.case(`_limit ${JSON.stringify(limit)} (outside 1–100 or not a decimal count) → 400`, '§4 REST (lists) [I: 1–100, decimal digits]', async () => {
      await refused(listPage({ _limit: limit }), 400, /_limit/)
    })
  }

  suite.case('a _bookmark the platform did not give → 400', '§4 REST (lists) [I]', async () => {
    await refused(listPage({ _bookmark: 'not-a-bookmark' }), 400, /bookmark/)
  })
})
