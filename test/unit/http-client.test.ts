import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCert } from '../helpers/mosquitto'
import { AppError } from '../../src-main/core/common/errors'
import type { Logger } from '../../src-main/core/log/logger'
import { createGovernor } from '../../src-main/core/http/governor'
import { createHttpClient, decodeBody, parseRetryAfter, RequestAbandoned, type HttpClient, type HttpClientOptions } from '../../src-main/core/http/http-client'
import { assertSecureUrl } from '../../src-main/core/http/secure-url'
import { classifyTransportError } from '../../src-main/core/http/transport-errors'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, hit: number) => void

/** A node:http server whose behaviour each test sets; it counts hits so retries and non-retries can be checked. */
async function startServer(): Promise<{ url: string; server: Server; hits: () => number; bodies: string[]; handle(h: Handler): void; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.end('ok')
  let hits = 0
  const bodies: string[] = []
  const sockets = new Set<Socket>()
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits += 1
      const body = Buffer.concat(chunks).toString('utf8')
      bodies.push(body)
      handler(req, res, body, hits)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits: () => hits,
    bodies,
    handle(h) {
      handler = h
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  throw new Error('expected a rejection')
}

/** Fast back-off so retry tests do not wait for production delays; the policy, not the timing, is under test. */
const quickGovernor = () => createGovernor({ concurrency: Infinity, perSecond: Infinity, baseDelayMs: 5, maxDelayMs: 2000 })

describe('assertSecureUrl', () => {
  it.each(['https://rws-jpotest.jasper.com/rws/api/v1', 'http://127.0.0.1:8080', 'http://127.9.8.7/x', 'http://localhost:3000', 'http://[::1]:9000/'])('accepts %s', (url) => {
    expect(assertSecureUrl(url).href).toContain(new URL(url).host)
  })

  it('refuses plain http:// to any other host', () => {
    const e = (() => {
      try {
        assertSecureUrl('http://restapi1.jasper.com/rws/api/v1')
      } catch (err) {
        return err
      }
      return null
    })()
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).code).toBe('VALIDATION')
    expect((e as AppError).details?.ref).toEqual({ key: 'errors.insecureUrl', params: { url: 'http://restapi1.jasper.com' } })
  })

  it.each([
    ['ftp://example.com', 'errors.invalidUrl'],
    ['not a url', 'errors.invalidUrl'],
    ['https://ops:secret@example.com', 'errors.urlHasCredentials'],
    ['http://10.0.0.1', 'errors.insecureUrl'],
    ['http://localhost.example.com', 'errors.insecureUrl'],
  ])('refuses %s (%s)', (url, key) => {
    expect(() => assertSecureUrl(url)).toThrow(AppError)
    try {
      assertSecureUrl(url)
    } catch (e) {
      expect((e as AppError).details?.ref?.key).toBe(key)
    }
  })

  it('is applied by createHttpClient', () => {
    expect(() => createHttpClient({ baseUrl: 'http://api.jasper.com' })).toThrow(/https/)
  })
})

describe('decodeBody and Retry-After', () => {
  it('decodes the declared charset, Latin-1 included', () => {
    expect(decodeBody(Buffer.from('Paramètre inconnu', 'latin1'), 'ISO-8859-1').text).toBe('Paramètre inconnu')
    expect(decodeBody(Buffer.from('Paramètre inconnu', 'utf8'), 'utf-8').text).toBe('Paramètre inconnu')
  })

  it('falls back to Latin-1 when an undeclared body is not UTF-8, and ignores unknown labels', () => {
    expect(decodeBody(Buffer.from('Désactivé', 'latin1'), undefined).text).toBe('Désactivé')
    expect(decodeBody(Buffer.from('Désactivé', 'utf8'), undefined).text).toBe('Désactivé')
    expect(decodeBody(Buffer.from('Désactivé', 'utf8'), 'x-no-such-charset').text).toBe('Désactivé')
  })

  it('reads delta-seconds and HTTP-dates', () => {
    const now = Date.parse('2024-05-01T10:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:07 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })
})

describe('classifyTransportError', () => {
  it('finds codes in causes and AggregateErrors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    expect(classifyTransportError(new AggregateError([refused], 'all failed'))).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', transient: true })
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect(classifyTransportError(new Error('fetch failed', { cause: tls }))).toMatchObject({ kind: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', transient: false })
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toMatchObject({ kind: 'network', transient: false })
    expect(classifyTransportError(Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toMatchObject({ kind: 'timeout', phase: 'headers' })
    expect(classifyTransportError(new TypeError('a bug'))).toBeNull()
  })
})

describe('createHttpClient against a local server', () => {
  let srv: Awaited<ReturnType<typeof startServer>>
  const clients: HttpClient[] = []
  const make = (extra: Partial<HttpClientOptions> = {}): HttpClient => {
    const c = createHttpClient({ baseUrl: `${srv.url}/rws/api/v1`, governor: quickGovernor(), ...extra })
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    srv = await startServer()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })
  afterAll(async () => {
    await srv.close()
  })

  it('joins the base path, encodes the query strictly and sends the user agent', async () => {
    let seen: IncomingMessage | undefined
    srv.handle((req, res) => {
      seen = req
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ ok: true }))
    })
    const res = await make({ userAgent: 'Fieldline/test' }).request({
      method: 'GET',
      path: '/devices',
      query: { modifiedSince: '2016-04-18T17:31:34+00:00', ratePlan: 'hphlr rp1', absent: undefined, gone: null, pageSize: 50 },
    })
    expect(seen?.url).toBe('/rws/api/v1/devices?modifiedSince=2016-04-18T17%3A31%3A34%2B00%3A00&ratePlan=hphlr%20rp1&pageSize=50')
    expect(seen?.headers['user-agent']).toBe('Fieldline/test')
    expect(res.status).toBe(200)
    expect(res.isJson()).toBe(true)
    expect(res.tryJson()).toEqual({ ok: true })
    expect(res.attempts).toBe(1)
  })

  it('refuses to send once closed, also when closed before its first request (its connections are made lazily)', async () => {
    const before = srv.hits()
    srv.handle((_req, res) => res.end('{}'))
    const client = make()
    await client.close()
    await expect(client.request({ method: 'GET', path: '/devices', maxAttempts: 1 })).rejects.toThrow()
    expect(srv.hits()).toBe(before)
  })

  it('decodes an ISO-8859-1 error body', async () => {
    srv.handle((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json;charset=ISO-8859-1' })
      res.end(Buffer.from(JSON.stringify({ errorMessage: 'Paramètre non reconnu', errorCode: '10000028' }), 'latin1'))
    })
    const res = await make().request({ method: 'GET', path: '/devices' })
    expect(res.status).toBe(400)
    expect(res.tryJson()).toEqual({ errorMessage: 'Paramètre non reconnu', errorCode: '10000028' })
  })

  it('recognises HTML pages and non-JSON bodies', async () => {
    srv.handle((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' })
      res.end('<!DOCTYPE html><html><body>Not Found</body></html>')
    })
    const res = await make().request({ method: 'GET', path: '/devices/1' })
    expect(res.isHtml()).toBe(true)
    expect(res.tryJson()).toBeUndefined()
  })

  it.each([429, 503, 504, 502])('retries a GET answered %i, then returns the success', async (status) => {
    const before = srv.hits()
    srv.handle((_req, res, _b, hit) => {
      if (hit === before + 1) {
        res.writeHead(status, { 'retry-after': '0' })
        res.end()
      } else res.end('fine')
    })
    const res = await make().request({ method: 'GET', path: '/x' })
    expect(res.text).toBe('fine')
    expect(res.attempts).toBe(2)
    expect(srv.hits() - before).toBe(2)
  })

  it('returns the last answer once the attempts are used up', async () => {
    const before = srv.hits()
    srv.handle((_req, res) => {
      res.writeHead(503)
      res.end('busy')
    })
    const res = await make({ maxAttempts: 3 }).request({ method: 'PUT', path: '/x', body: '{}' })
    expect(res.status).toBe(503)
    expect(srv.hits() - before).toBe(3)
  })

  it('retries a POST refused with 429 or with 503 + Retry-After: the service did not act on it', async () => {
    for (const headers of [
      { status: 429, h: {} },
      { status: 503, h: { 'retry-after': '0' } },
    ]) {
      const before = srv.hits()
      srv.handle((_req, res, _b, hit) => {
        if (hit === before + 1) {
          res.writeHead(headers.status, headers.h)
          res.end()
        } else res.end('{"smsMsgId":1}')
      })
      const res = await make().request({ method: 'POST', path: '/sms', body: 'x' })
      expect(res.status).toBe(200)
      expect(srv.hits() - before).toBe(2)
    }
  })

  it.each([
    [503, {}],
    [504, {}],
    [502, {}],
  ])('never repeats a POST answered %i without Retry-After: UNKNOWN_OUTCOME', async (status, headers) => {
    const before = srv.hits()
    srv.handle((_req, res) => {
      res.writeHead(status, headers)
      res.end()
    })
    const e = await rejection(make().request({ method: 'POST', path: '/sms', body: 'x' }))
    expect(e.code).toBe('UNKNOWN_OUTCOME')
    expect(e.details?.ref?.key).toBe('errors.unknownOutcome')
    expect(srv.hits() - before).toBe(1)
  })

  it("hands a POST's 500 back to the caller, who knows the service's error envelope", async () => {
    const before = srv.hits()
    srv.handle((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end('{"errorCode":"30000002"}')
    })
    const res = await make().request({ method: 'POST', path: '/sms', body: 'x' })
    expect(res.status).toBe(500)
    expect(srv.hits() - before).toBe(1)
  })

  it('never repeats a POST whose connection dropped after the service received it', async () => {
    const before = srv.hits()
    srv.handle((req) => req.socket.destroy())
    const e = await rejection(make().request({ method: 'POST', path: '/sms', body: 'hello' }))
    expect(e.code).toBe('UNKNOWN_OUTCOME')
    expect(srv.hits() - before).toBe(1)
  })

  it('repeats a GET whose connection dropped, then reports NETWORK', async () => {
    const before = srv.hits()
    srv.handle((req) => req.socket.destroy())
    const e = await rejection(make({ maxAttempts: 3 }).request({ method: 'GET', path: '/x' }))
    expect(e.code).toBe('NETWORK')
    expect(e.details?.ref?.key).toBe('errors.network')
    expect(srv.hits() - before).toBe(3)
  })

  it('reports TIMEOUT for a GET and UNKNOWN_OUTCOME for a POST when no answer comes', async () => {
    srv.handle(() => undefined)
    const client = make({ timeoutMs: { headers: 150 }, maxAttempts: 2 })
    const get = await rejection(client.request({ method: 'GET', path: '/slow' }))
    expect(get.code).toBe('TIMEOUT')
    expect(get.details?.ref?.key).toBe('errors.timeout')
    const before = srv.hits()
    const post = await rejection(client.request({ method: 'POST', path: '/slow', body: 'x' }))
    expect(post.code).toBe('UNKNOWN_OUTCOME')
    expect(srv.hits() - before).toBe(1)
  })

  it('abandons a request its caller gave up on: not started, not waited for on the wire, not retried', async () => {
    // Aborted before it starts: nothing reaches the service.
    const before = srv.hits()
    const gone = await make()
      .request({ method: 'PUT', path: '/a', body: 'x', signal: AbortSignal.abort() })
      .catch((e: unknown) => e)
    expect(gone).toBeInstanceOf(RequestAbandoned)
    expect(gone).toMatchObject({ sent: false })
    expect(srv.hits()).toBe(before)

    // On the wire, the service sitting on it: the caller hears at once that it may have been carried out.
    srv.handle(() => undefined)
    const controller = new AbortController()
    const waiting = make({ timeoutMs: { headers: 60_000 } })
      .request({ method: 'PUT', path: '/b', body: 'x', signal: controller.signal })
      .catch((e: unknown) => e)
    await expect.poll(() => srv.hits()).toBe(before + 1)
    controller.abort()
    expect(await waiting).toMatchObject({ name: 'RequestAbandoned', sent: true })

    // Waiting the second a 503 asked for before its retry: the retry is not made.
    srv.handle((_req, res) => {
      res.writeHead(503, { 'retry-after': '1' })
      res.end()
    })
    const retrying = new AbortController()
    const refused = make()
      .request({ method: 'GET', path: '/c', signal: retrying.signal })
      .catch((e: unknown) => e)
    await expect.poll(() => srv.hits()).toBe(before + 2)
    retrying.abort()
    expect(await refused).toMatchObject({ name: 'RequestAbandoned', sent: true })
    expect(srv.hits()).toBe(before + 2)
  })

  it('reports TIMEOUT when the body stalls', async () => {
    srv.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"a":')
    })
    const e = await rejection(make({ timeoutMs: { body: 150 }, maxAttempts: 1 }).request({ method: 'GET', path: '/stall' }))
    expect(e.code).toBe('TIMEOUT')
  })

  it('refuses an answer larger than the limit', async () => {
    srv.handle((_req, res) => res.end('x'.repeat(5000)))
    const e = await rejection(make({ maxBodyBytes: 1000 }).request({ method: 'GET', path: '/big' }))
    expect(e.code).toBe('TOO_LARGE')
  })

  it('retries a POST that could not connect, and reports NETWORK when the service stays down', async () => {
    const dead = await startServer()
    const url = dead.url
    await dead.close()
    const client = createHttpClient({ baseUrl: url, governor: quickGovernor(), maxAttempts: 2 })
    clients.push(client)
    const e = await rejection(client.request({ method: 'POST', path: '/sms', body: 'x' }))
    expect(e.code).toBe('NETWORK')
    expect(e.details?.ref?.params?.reason).toBe('ECONNREFUSED')
    // The English message (the CLI prints it) says the cause in words, the code kept for support; not "connect ECONNREFUSED 127.0.0.1:…".
    expect(e.message).toBe(`Cannot reach ${new URL(url).host} at ${new URL(url).host}: the connection was refused (ECONNREFUSED). Check the address and port, and that the service is running.`)
  })

  it('logs method, host, path and query names, never header values, bodies or query values', async () => {
    const lines: string[] = []
    const record = (...args: unknown[]) => void lines.push(JSON.stringify(args))
    const logger: Logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger
    const before = srv.hits()
    srv.handle((_req, res, _b, hit) => {
      res.writeHead(hit === before + 1 ? 429 : 200, { 'retry-after': '0' })
      res.end()
    })
    await make({ logger }).request({
      method: 'POST',
      path: '/devices/8988216716970004975/smsMessages',
      query: { apiKey: 'query-secret-123' },
      headers: { authorization: 'Basic c2VjcmV0LWhlYWRlcg==' },
      body: '{"messageText":"body-secret-456"}',
    })
    const all = lines.join('\n')
    expect(all).toContain('/rws/api/v1/devices/8988216716970004975/smsMessages')
    expect(all).toContain('apiKey')
    expect(all).not.toContain('query-secret-123')
    expect(all).not.toContain('c2VjcmV0LWhlYWRlcg')
    expect(all).not.toContain('body-secret-456')
  })
})

describe('TLS and proxy', () => {
  let cert: string
  let key: string
  let https: ReturnType<typeof createHttpsServer>
  let httpsUrl: string

  beforeAll(async () => {
    // Generated per run by openssl: no key is ever committed.
    const pair = await selfSignedCert()
    if (!pair) throw new Error('openssl is needed to make the test certificate (apt-get install openssl)')
    ;({ cert, key } = pair)
    https = createHttpsServer({ cert, key }, (_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end('{"secure":true}')
    })
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
    httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    https.closeAllConnections()
    await new Promise<void>((resolve) => https.close(() => resolve()))
  })

  it('refuses a certificate it cannot verify (TLS, with the reason) and is not retried', async () => {
    const client = createHttpClient({ baseUrl: httpsUrl, governor: quickGovernor() })
    const e = await rejection(client.request({ method: 'GET', path: '/' }))
    await client.close()
    expect(e.code).toBe('TLS')
    expect(e.details?.ref).toMatchObject({ key: 'errors.tls', params: { reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' } })
  })

  it('trusts it once its CA is added', async () => {
    const client = createHttpClient({ baseUrl: httpsUrl, ca: [cert], governor: quickGovernor() })
    const res = await client.request({ method: 'GET', path: '/' })
    await client.close()
    expect(res.tryJson()).toEqual({ secure: true })
  })

  it('refuses a CA that is not a PEM certificate', () => {
    expect(() => createHttpClient({ baseUrl: httpsUrl, ca: [key] })).toThrow(AppError)
  })

  it('tunnels through a CONNECT proxy, TLS verified end to end', async () => {
    const tunnels: string[] = []
    const proxy = createHttpServer()
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '')
      const [host, port] = (req.url ?? '').split(':')
      const upstream = netConnect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const client = createHttpClient({ baseUrl: httpsUrl, ca: [cert], proxy: proxyUrl, governor: quickGovernor() })
    const res = await client.request({ method: 'GET', path: '/' })
    await client.close()
    proxy.closeAllConnections()
    await new Promise<void>((resolve) => proxy.close(() => resolve()))
    expect(res.tryJson()).toEqual({ secure: true })
    expect(tunnels).toEqual([new URL(httpsUrl).host])
  })
})
