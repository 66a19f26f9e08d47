/**
 * Control Center has no official npm client: Cisco publishes a request collection, sample scripts and documented
 * request examples. test/peers/control-center/conformance-cases.ts writes those requests down with their documented
 * answers; this suite sends each one to the peer with undici's plain `request` (not Fieldline's client), exactly as
 * written — method, path, query, the headers of the tool that sends it, body — and checks status, content type,
 * error envelope and body shape. Cases run in order: a later one may use a value an earlier answer gave.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { CLIENT_HEADERS, CONTROL_CENTER_CASES, mismatch, NOT_MODELLED, type ConformanceCase, type Credentials, type Pattern } from '../peers/control-center/conformance-cases'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'

const ADMIN = { username: 'ops', apiKey: 'test-api-key' }
const ACCOUNT_USER = { username: 'viewer', apiKey: 'viewer-api-key' }

let peer: ControlCenterPeer
const vars = new Map<string, string>()

const fill = (text: string): string =>
  text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = vars.get(name)
    if (value === undefined) throw new Error(`no value for ${whole}: an earlier case should have captured it`)
    return value
  })

const basic = (user: { username: string; apiKey: string }): string => `Basic ${Buffer.from(`${user.username}:${user.apiKey}`).toString('base64')}`

function authorization(credentials: Credentials): string | null {
  if (credentials === 'none') return null
  if (credentials === 'wrongKey') return basic({ ...ADMIN, apiKey: 'not-the-key' })
  return basic(credentials === 'accountUser' ? ACCOUNT_USER : ADMIN)
}

async function send(c: ConformanceCase) {
  const headers: Record<string, string> = { ...CLIENT_HEADERS[c.request.client] }
  const auth = authorization(c.request.auth ?? 'admin')
  if (auth !== null) headers.authorization = auth
  for (const [name, value] of Object.entries(c.request.headers ?? {})) {
    if (value === null) delete headers[name]
    else headers[name] = value
  }
  const res = await request(`${peer.url}${fill(c.request.url)}`, { method: c.request.method, headers, ...(c.request.body !== undefined ? { body: c.request.body } : {}) })
  const bytes = Buffer.from(await res.body.arrayBuffer())
  const contentType = String(res.headers['content-type'] ?? '')
  // §1.3: error bodies are ISO-8859-1; success bodies UTF-8.
  const text = bytes.toString(/charset=iso-8859-1/i.test(contentType) ? 'latin1' : 'utf8')
  return { status: res.statusCode, headers: res.headers, contentType, text }
}

function check(c: ConformanceCase, reply: Awaited<ReturnType<typeof send>>): void {
  const e = c.expect
  expect(reply.status, reply.text.slice(0, 300)).toBe(e.status)
  if (e.contentType) expect(reply.contentType).toMatch(e.contentType)
  for (const [name, want] of Object.entries(e.headers ?? {})) {
    const got = reply.headers[name]
    if (want === null) expect(got).toBeUndefined()
    else if (want instanceof RegExp) expect(String(got)).toMatch(want)
    else expect(got).toBe(want)
  }
  if (e.empty) expect(reply.text).toBe('')
  if (e.json === undefined && e.error === undefined && e.capture === undefined) return
  expect(reply.contentType).toMatch(/^application\/json/i)
  const body = JSON.parse(reply.text) as Record<string, unknown>
  if (e.json !== undefined) {
    const pattern = JSON.parse(fill(JSON.stringify(e.json))) as Pattern
    expect(mismatch(body, pattern)).toBeNull()
  }
  if (e.error) {
    // §1.3: {"errorMessage": "<text>", "errorCode": "<8-digit string>"}; the 401 challenge has no errorCode (§1.1).
    expect(typeof body.errorMessage).toBe('string')
    if (e.error.errorCode === null) expect(body).not.toHaveProperty('errorCode')
    else if (e.error.errorCode !== undefined) expect(body.errorCode).toBe(e.error.errorCode)
    else expect(body.errorCode).toMatch(/^\d{8}$/)
    if (e.error.errorMessage instanceof RegExp) expect(body.errorMessage).toMatch(e.error.errorMessage)
    else if (e.error.errorMessage !== undefined) expect(body.errorMessage).toBe(e.error.errorMessage)
  }
  for (const [name, member] of Object.entries(e.capture ?? {})) vars.set(name, String(body[member]))
}

beforeAll(async () => {
  peer = await startControlCenterPeer({
    devices: 60,
    users: [
      { ...ADMIN, password: 'test-password', role: 'AccountAdmin' },
      { ...ACCOUNT_USER, role: 'AccountUser' },
    ],
  })
  vars.set('ICCID', peer.iccids[0]!)
  vars.set('ACCOUNTID', peer.accountId)
  vars.set('CC_API_URL', '/rws/api/v1')
})

afterAll(async () => {
  await peer?.close()
})

describe("Control Center conformance: Cisco's published requests, sent with undici, against the peer", () => {
  const suite = conformanceSuite(`control-center (Cisco collection, sample scripts, docs; ${NOT_MODELLED.length} collection requests not modelled)`)
  for (const c of CONTROL_CENTER_CASES) {
    suite.case(c.title, c.source, async () => {
      check(c, await send(c))
    })
  }
})
