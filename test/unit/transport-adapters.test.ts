/**
 * The core's adapters over the shared transport rules: each turns a refusal into the AppError the core has always
 * thrown — code, English message, translated key and params — and never echoes credentials written into a URL.
 */
import { describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import { AppError } from '../../src-main/core/common/errors'
import { assertSecureUrl } from '../../src-main/core/http/secure-url'
import { parseCaBundle } from '../../src-main/core/http/trust'
import { parseSmtpUrl } from '../../src-main/core/mail/mail-config'
import { assertSmtpSecurity } from '../../src-main/core/mail/smtp.transport'
import { linkSecurity, parseBrokerUrl, parseClientId } from '../../src-main/core/platform/broker-url'

function refusal(check: () => unknown): ErrorInfo {
  try {
    check()
  } catch (e) {
    if (e instanceof AppError) return e.toInfo()
    throw e
  }
  throw new Error('expected a refusal')
}

const invalid = (message: string, key: string, params?: Record<string, string>): ErrorInfo => ({ code: 'VALIDATION', message, details: { ref: params ? { key, params } : { key } } })

describe('assertSecureUrl', () => {
  it.each([
    ['not a url', invalid('Not a valid URL: not a url', 'errors.invalidUrl', { url: 'not a url' })],
    // Cold trial: the refusal left out that http:// to this computer is accepted too (`sync setup --url ftp://…`).
    ['ftp://files.example.com', invalid('Only https:// URLs are supported, or http:// to this computer (got ftp:)', 'errors.invalidUrl', { url: 'ftp://files.example.com' })],
    ['https://user:secret@api.example.com', invalid('The URL must not contain a user name or password; enter credentials in their own fields', 'errors.urlHasCredentials')],
    [
      'http://api.example.com/rws',
      invalid('Credentials may only be sent over https:// (plain http:// is accepted for this computer only): http://api.example.com', 'errors.insecureUrl', { url: 'http://api.example.com' }),
    ],
    ['https://user:s3cret@[bad', invalid('Not a valid URL: https://***@[bad', 'errors.invalidUrl', { url: 'https://***@[bad' })],
  ])('refuses %j', (url, info) => {
    expect(refusal(() => assertSecureUrl(url))).toEqual(info)
  })

  it.each([
    ['not a url', 'errors.invalidUrl', { url: 'not a url' }],
    ['ftp://files.example.com', 'errors.invalidUrl', { url: 'ftp://files.example.com' }],
    ['https://user:secret@api.example.com', 'errors.urlHasCredentials', {}],
    ['http://api.example.com/rws', 'errors.insecureUrl', { url: 'http://api.example.com' }],
  ])('names the field it was told %j came from, beside what the refusal says', (url, key, params) => {
    expect(refusal(() => assertSecureUrl(url, 'settings.restUrl')).details?.ref).toEqual({ key, params: { ...params, field: 'settings.restUrl' } })
  })

  it('returns the parsed URL it accepted', () => {
    expect(assertSecureUrl('http://127.1:8080/x').href).toBe('http://127.0.0.1:8080/x')
  })
})

describe('broker URLs and client ids', () => {
  it.each([
    ['nonsense', invalid('Not a valid URL: nonsense', 'errors.invalidUrl', { url: 'nonsense' })],
    ['http://broker.example.com:80/x', invalid('The broker URL must be mqtt://, mqtts://, ws:// or wss:// with a host (got http:)', 'errors.invalidUrl', { url: 'http://broker.example.com' })],
    ['mqtt://u:pw@broker.example.com', invalid('The URL must not contain a user name or password; enter credentials in their own fields', 'errors.urlHasCredentials')],
    ['mqtt://u:pw@[x', invalid('Not a valid URL: mqtt://***@[x', 'errors.invalidUrl', { url: 'mqtt://***@[x' })],
  ])('refuses broker URL %j', (url, info) => {
    expect(refusal(() => parseBrokerUrl(url))).toEqual(info)
    expect(refusal(() => linkSecurity(url))).toEqual(info)
  })

  it('classifies and parses what it accepts', () => {
    expect(linkSecurity('mqtt://broker.example.com')).toBe('plain-remote')
    expect(parseBrokerUrl('mqtts://broker.example.com:8883').port).toBe('8883')
    expect(parseClientId('A:org:app:i-1')).toEqual({ scalable: true, org: 'org', appId: 'app', instanceId: 'i-1' })
  })

  it('refuses a device client id', () => {
    expect(refusal(() => parseClientId('d:org:type:dev'))).toEqual(
      invalid(`Invalid application client id "d:org:type:dev": use a:<org>:<appId> or A:<org>:<appId> (letters, digits, '-', '_', '.')`, 'platform.invalidClientId', { value: 'd:org:type:dev' }),
    )
  })
})

describe('plain SMTP', () => {
  it('refuses plain SMTP to another computer, from settings and from FIELDLINE_SMTP_URL', () => {
    expect(refusal(() => assertSmtpSecurity('mail.example.com', 'none'))).toEqual(
      invalid('SMTP without TLS is accepted for this computer only (localhost, 127.x, ::1), not for mail.example.com', 'mail.smtp.insecureHost', { host: 'mail.example.com' }),
    )
    expect(refusal(() => parseSmtpUrl('smtp+insecure://u:pw@mail.example.com', { address: 'ops@example.com' }))).toEqual(
      invalid('smtp+insecure:// is accepted for this computer only (localhost, 127.x, ::1), not for mail.example.com', 'mail.smtp.insecureHost', { host: 'mail.example.com' }),
    )
    expect(parseSmtpUrl('smtp+insecure://[::1]:2525', { address: 'ops@example.com' })).toMatchObject({ host: '::1', security: 'none' })
  })
})

describe('custom CAs', () => {
  it('refuses a certificate block that never ends, as the forms do', () => {
    expect(refusal(() => parseCaBundle(['-----BEGIN CERTIFICATE-----\nMIIB']))).toEqual(invalid('The custom CA must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)', 'errors.invalidCa'))
    expect(refusal(() => parseCaBundle(['-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----']))).toEqual(
      invalid('The custom CA contains a certificate that cannot be read', 'errors.invalidCa'),
    )
  })
})
