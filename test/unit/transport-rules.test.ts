/**
 * The transport rules (src-shared/models/transport-rules.ts, src-shared/models/hosts.ts): the one place where it is
 * decided which URLs credentials may go to, what a broker URL and a client id are, when SMTP may be plain and what a
 * custom CA looks like. The forms and the core both call these; the core's adapters are tested with the core.
 */
import { describe, expect, it } from 'vitest'
import { isDnsLabel, isIPv4, isLoopbackHost } from '../../src-shared/models/hosts'
import {
  brokerSecurity,
  brokerUrlProblem,
  caBundleProblem,
  checkBrokerUrl,
  checkClientId,
  checkSecureUrl,
  clientIdProblem,
  pemCertificates,
  plainSmtpProblem,
  secureUrlProblem,
  withDefaultScheme,
} from '../../src-shared/models/transport-rules'

describe('hosts', () => {
  it.each(['localhost', 'LOCALHOST', '[::1]', '::1', '127.0.0.1', '127.255.0.9', '127.1.2.3'])('%s is this computer', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  // A leading zero or a space leaves the address to the resolver, and 127.x that is not four octets is a host name.
  it.each(['10.0.0.1', '128.0.0.1', '0.0.0.0', 'example.com', '127.example.com', '[::2]', '127.0.0.01', '127.0.0.256', ' localhost', 'localhost ', '127.1', ''])('%j is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })

  it('reads IPv4 addresses and DNS labels as Node and RFC 1123 do', () => {
    for (const ok of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '192.168.0.10']) expect(isIPv4(ok)).toBe(true)
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d']) expect(isIPv4(bad)).toBe(false)
    for (const ok of ['a', 'smtp', 'mail-1', 'x'.repeat(63)]) expect(isDnsLabel(ok)).toBe(true)
    for (const bad of ['', '-a', 'a-', 'a_b', 'x'.repeat(64), 'é']) expect(isDnsLabel(bad)).toBe(false)
  })
})

describe('secure URLs', () => {
  it.each([
    'https://api.example.com',
    'https://api.example.com:8443/rws/api/v1',
    'http://127.0.0.1:8080',
    'http://localhost/x',
    'http://[::1]:9000',
    // The URL parser expands 127.1 to 127.0.0.1.
    'http://127.1',
  ])('accepts %s', (url) => {
    const check = checkSecureUrl(url)
    expect(check.ok && check.url.href).toBe(new URL(url).href)
    expect(secureUrlProblem(url)).toBeNull()
  })

  it.each([
    ['http://api.example.com', 'plainRemote', { key: 'errors.insecureUrl', params: { url: 'http://api.example.com' } }],
    ['http://10.0.0.1:8080/x', 'plainRemote', { key: 'errors.insecureUrl', params: { url: 'http://10.0.0.1:8080' } }],
    ['ftp://files.example.com', 'scheme', { key: 'errors.invalidUrl', params: { url: 'ftp://files.example.com' } }],
    // A bare host:port parses as the scheme 'couch.local:', whose origin is the text 'null': the message quoted « null ».
    ['couch.local:5984', 'scheme', { key: 'errors.invalidUrl', params: { url: 'couch.local:5984' } }],
    ['htps://couch.example.com/db?key=x', 'scheme', { key: 'errors.invalidUrl', params: { url: 'htps://couch.example.com' } }],
    ['https://user:secret@api.example.com', 'credentials', { key: 'errors.urlHasCredentials' }],
    ['not a url', 'unparsable', { key: 'errors.invalidUrl', params: { url: 'not a url' } }],
    ['', 'unparsable', { key: 'errors.invalidUrl', params: { url: '' } }],
  ])('refuses %j (%s)', (url, reason, ref) => {
    const check = checkSecureUrl(url)
    expect(check.ok ? null : { reason: check.reason, ref: check.ref }).toEqual({ reason, ref })
    expect(secureUrlProblem(url)).toEqual(ref)
  })

  it('quotes at most 200 characters of what is not a URL', () => {
    expect(secureUrlProblem(`x${' '.repeat(500)}`)?.params?.url).toHaveLength(200)
  })

  it('reads a bare host as https://', () => {
    expect(withDefaultScheme('restapi3.jasper.com')).toBe('https://restapi3.jasper.com')
    expect(withDefaultScheme('HTTP://127.0.0.1:8080')).toBe('HTTP://127.0.0.1:8080')
    expect(withDefaultScheme('ftp://files.example.com')).toBe('ftp://files.example.com')
    expect(withDefaultScheme('couch.local:5984')).toBe('https://couch.local:5984')
    expect(withDefaultScheme('localhost:8443/rws/api')).toBe('https://localhost:8443/rws/api')
  })

  // Cold trial: the Jasper form said “https://javascript:alert(1)” is not a valid https:// URL.
  it.each([
    ['javascript:alert(1)', 'javascript:alert(1)'],
    ['mailto:ops@example.com', 'mailto:ops@example.com'],
    ['data:text/html,<img src=x onerror=alert(1)>', 'data:text/html,<img src=x onerror=alert(1)>'],
  ])('refuses %j with the scheme as typed, never read as a host', (text, shown) => {
    expect(withDefaultScheme(text)).toBe(text)
    expect(secureUrlProblem(withDefaultScheme(text))).toEqual({ key: 'errors.invalidUrl', params: { url: shown } })
  })
})

describe('broker URLs', () => {
  it.each([
    ['mqtts://broker.example.com:8883', 'tls'],
    ['wss://broker.example.com/mqtt', 'tls'],
    ['mqtt://127.0.0.1:1883', 'loopback-plain'],
    ['ws://localhost:9001', 'loopback-plain'],
    ['mqtt://broker.example.com', 'plain-remote'],
    ['mqtt://0.0.0.0:1883', 'plain-remote'],
  ])('%s travels %s', (url, security) => {
    expect(checkBrokerUrl(url)).toMatchObject({ ok: true, security })
    expect(brokerSecurity(url)).toBe(security)
    expect(brokerUrlProblem(url)).toBeNull()
  })

  it.each([
    ['http://broker.example.com', 'scheme'],
    ['mqtt://', 'scheme'],
    ['nonsense', 'unparsable'],
  ])('refuses %j (%s), naming the broker schemes', (url, reason) => {
    expect(checkBrokerUrl(url)).toMatchObject({ ok: false, reason })
    expect(brokerUrlProblem(url)).toEqual({ key: 'platform.invalidBrokerUrl', params: { url } })
    expect(brokerSecurity(url)).toBeNull()
  })

  it('refuses credentials in the URL', () => {
    expect(checkBrokerUrl('mqtt://u:p@broker.example.com')).toMatchObject({ ok: false, reason: 'credentials' })
    expect(brokerUrlProblem('mqtt://u:p@broker.example.com')).toEqual({ key: 'errors.urlHasCredentials' })
  })
})

describe('application client ids', () => {
  it('reads the three application forms', () => {
    expect(checkClientId('a:org1:fieldline')).toEqual({ ok: true, parts: { scalable: false, org: 'org1', appId: 'fieldline' } })
    expect(checkClientId('A:org1:app')).toEqual({ ok: true, parts: { scalable: true, org: 'org1', appId: 'app' } })
    expect(checkClientId('A:org1:app:instance-2')).toEqual({ ok: true, parts: { scalable: true, org: 'org1', appId: 'app', instanceId: 'instance-2' } })
    expect(clientIdProblem(`a:${'o'.repeat(36)}:${'p'.repeat(36)}`)).toBeNull()
  })

  it.each(['d:org1:pump:p-1', 'g:org:gw:1', 'a:org', 'a:org:app with space', `a:${'o'.repeat(37)}:app`, 'a:org:app:instance', 'A:org:app:inst:extra', ''])('refuses %j', (id) => {
    expect(checkClientId(id)).toEqual({ ok: false, ref: { key: 'platform.invalidClientId', params: { value: id } } })
    expect(clientIdProblem(id)).toEqual({ key: 'platform.invalidClientId', params: { value: id } })
  })

  it('quotes at most 100 characters of a refused id', () => {
    expect(clientIdProblem('x'.repeat(300))?.params?.value).toHaveLength(100)
  })
})

describe('plain SMTP', () => {
  it.each([
    ['localhost', 'none', null],
    ['127.0.0.1', 'none', null],
    ['::1', 'none', null],
    ['mail.example.com', 'none', { key: 'mail.smtp.insecureHost', params: { host: 'mail.example.com' } }],
    ['10.0.0.5', 'none', { key: 'mail.smtp.insecureHost', params: { host: '10.0.0.5' } }],
    ['mail.example.com', 'starttls', null],
    ['mail.example.com', 'tls', null],
  ] as const)('to %s with %s', (host, security, problem) => {
    expect(plainSmtpProblem(host, security)).toEqual(problem)
  })
})

describe('custom CAs', () => {
  const block = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`

  it('splits a bundle into its certificate blocks and ignores what surrounds them', () => {
    expect(pemCertificates(`subject=CN=one\n${block('MIIB')}\n\n${block('MIIC')}\n`)).toEqual([block('MIIB'), block('MIIC')])
    expect(caBundleProblem(block('MIIB'))).toBeNull()
  })

  it('refuses a bundle without a whole certificate block, as the core does', () => {
    for (const pem of ['', 'MIIB', '-----BEGIN CERTIFICATE-----\nMIIB', '-----BEGIN CERTIFICATE----------END CERTIFICATE-----', '-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----']) {
      expect(pemCertificates(pem)).toEqual([])
      expect(caBundleProblem(pem)).toEqual({ key: 'errors.invalidCa' })
    }
  })

  it('finds nothing in many unfinished blocks', () => {
    expect(pemCertificates('-----BEGIN CERTIFICATE-----\n'.repeat(20_000))).toEqual([])
  })
})
