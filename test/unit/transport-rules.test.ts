/**
 * The shared transport rules (src-shared/models/transport-rules.ts) are what the renderer's forms check before a
 * save; the core checks again with its own throwing versions. Until the core calls the shared ones, this holds the
 * two to the same verdict and the same translatable reference on every case below.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { assertSecureUrl, isLoopbackHost as coreLoopback } from '../../src-main/core/http/secure-url'
import { assertSmtpSecurity } from '../../src-main/core/mail/smtp.transport'
import { linkSecurity, parseClientId } from '../../src-main/core/platform/broker-url'
import type { MessageRef } from '../../src-shared/contract'
import { brokerSecurity, brokerUrlProblem, clientIdProblem, isLoopbackHost, plainSmtpProblem, secureUrlProblem } from '../../src-shared/models/transport-rules'

/** The core's verdict: null when it accepts, else the reference its refusal carries. */
function coreRef(check: () => unknown): MessageRef | null {
  try {
    check()
    return null
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    return e.details?.ref ?? { key: 'none' }
  }
}

describe('transport rules shared with the core', () => {
  it.each(['localhost', 'LOCALHOST', '[::1]', '::1', '127.0.0.1', '127.255.0.9', '10.0.0.1', '128.0.0.1', 'example.com', '127.example.com', '[::2]'])(
    'this computer or not: %s',
    (host) => expect(isLoopbackHost(host)).toBe(coreLoopback(host)),
  )

  it.each([
    'https://api.example.com',
    'https://api.example.com:8443/rws/api/v1',
    'http://127.0.0.1:8080',
    'http://localhost/x',
    'http://[::1]:9000',
    'http://127.1',
    'http://api.example.com',
    'ftp://files.example.com',
    'https://user:secret@api.example.com',
    'not a url',
    '',
  ])('secure URL: %s', (url) => {
    expect(secureUrlProblem(url)).toEqual(coreRef(() => assertSecureUrl(url)))
  })

  it.each(['mqtts://broker.example.com:8883', 'wss://broker.example.com/mqtt', 'mqtt://127.0.0.1:1883', 'ws://localhost:9001', 'mqtt://broker.example.com', 'http://broker.example.com', 'mqtt://u:p@broker.example.com', 'nonsense', 'mqtt://'])(
    'broker URL: %s',
    (url) => {
      const core = coreRef(() => linkSecurity(url))
      const shared = brokerUrlProblem(url)
      // Same verdict; an invalid broker URL is named with the broker schemes (errors.invalidUrl speaks of https://).
      expect(shared === null).toBe(core === null)
      if (core?.key === 'errors.urlHasCredentials') expect(shared).toEqual(core)
      else if (core) expect(shared?.key).toBe('platform.invalidBrokerUrl')
      else expect(brokerSecurity(url)).toBe(linkSecurity(url))
    },
  )

  it.each(['a:org1:fieldline', 'A:org1:app', 'A:org1:app:instance-2', 'd:org1:pump:p-1', 'g:org:gw:1', 'a:org', 'a:org:app with space', `a:${'o'.repeat(37)}:app`])('client id: %s', (id) => {
    expect(clientIdProblem(id)).toEqual(coreRef(() => parseClientId(id)))
  })

  it.each([
    ['localhost', 'none'],
    ['127.0.0.1', 'none'],
    ['::1', 'none'],
    ['mail.example.com', 'none'],
    ['mail.example.com', 'starttls'],
    ['mail.example.com', 'tls'],
  ] as const)('plain SMTP to %s with %s', (host, security) => {
    expect(plainSmtpProblem(host, security)).toEqual(coreRef(() => assertSmtpSecurity(host, security)))
  })
})
