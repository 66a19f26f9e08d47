import tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import type { AppError } from '../../src-main/core/common/errors'
import { mailConfigFromEnv, normaliseSendGridUrl, parseMailFrom, parseSmtpUrl } from '../../src-main/core/mail/mail-config'
import { assertSmtpSecurity, smtpTlsOptions } from '../../src-main/core/mail/smtp.transport'

function thrown(run: () => unknown): AppError {
  try {
    run()
  } catch (e) {
    return e as AppError
  }
  throw new Error('expected a throw')
}

const FROM = { name: 'Ops', address: 'ops@example.com' }

describe('FIELDLINE_SMTP_URL', () => {
  it('smtp:// is STARTTLS required on 587 by default, with the credentials decoded', () => {
    expect(parseSmtpUrl('smtp://mailer:p%40ss%3Aword@smtp.example.com', FROM)).toEqual({
      mode: 'smtp',
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      username: 'mailer',
      password: 'p@ss:word',
      from: FROM,
    })
  })

  it('smtps:// is TLS from the start on 465, and an explicit port wins', () => {
    expect(parseSmtpUrl('smtps://u:p@smtp.example.com', FROM)).toMatchObject({ security: 'tls', port: 465 })
    expect(parseSmtpUrl('smtps://u:p@smtp.example.com:2465', FROM)).toMatchObject({ security: 'tls', port: 2465 })
  })

  it('smtp+insecure:// is accepted for loopback hosts only', () => {
    expect(parseSmtpUrl('smtp+insecure://127.0.0.1:2525', FROM)).toMatchObject({ security: 'none', host: '127.0.0.1', port: 2525 })
    expect(parseSmtpUrl('smtp+insecure://[::1]:2525', FROM)).toMatchObject({ security: 'none', host: '::1' })
    expect(thrown(() => parseSmtpUrl('smtp+insecure://u:p@smtp.example.com', FROM)).details?.ref).toEqual({ key: 'mail.smtp.insecureHost', params: { host: 'smtp.example.com' } })
  })

  it('refuses other schemes, paths and half credentials without quoting the URL', () => {
    for (const url of ['http://u:secret-pw@smtp.example.com', 'smtp://u:secret-pw@smtp.example.com/x', 'smtp://u@smtp.example.com', 'not a url secret-pw']) {
      const err = thrown(() => parseSmtpUrl(url, FROM))
      expect(err.code).toBe('VALIDATION')
      expect(err.details?.ref).toEqual({ key: 'mail.env.invalid', params: { variable: 'FIELDLINE_SMTP_URL' } })
      expect(err.message).not.toContain('secret-pw')
    }
  })
})

describe('FIELDLINE_MAIL_FROM', () => {
  it('takes "Name <address>" or a bare address', () => {
    expect(parseMailFrom('Field Ops <ops@example.com>')).toEqual({ name: 'Field Ops', address: 'ops@example.com' })
    expect(parseMailFrom('"Field Ops" <ops@example.com>')).toEqual({ name: 'Field Ops', address: 'ops@example.com' })
    expect(parseMailFrom('ops@example.com')).toEqual({ address: 'ops@example.com' })
  })

  it('refuses display-name tricks and line breaks', () => {
    for (const value of ['"ceo@bank.example" <ops@example.com>', 'Ops <ops@example.com>\nBcc: x@example.com', 'Ops <ops@example.com', 'ops@example.com, x@example.com']) {
      expect(thrown(() => parseMailFrom(value)).details?.ref?.key).toBe('mail.env.invalid')
    }
  })
})

describe('mailConfigFromEnv', () => {
  it('is null without a mail variable', () => {
    expect(mailConfigFromEnv({})).toBeNull()
  })

  it('builds SMTP from FIELDLINE_SMTP_URL and FIELDLINE_MAIL_FROM', () => {
    expect(mailConfigFromEnv({ FIELDLINE_SMTP_URL: 'smtp://u:p@smtp.example.com', FIELDLINE_MAIL_FROM: 'Ops <ops@example.com>', FIELDLINE_ORGANISATION: 'Acme' })).toEqual({
      mode: 'smtp',
      organisation: 'Acme',
      smtp: { mode: 'smtp', host: 'smtp.example.com', port: 587, security: 'starttls', username: 'u', password: 'p', from: { name: 'Ops', address: 'ops@example.com' } },
    })
  })

  it('builds SendGrid from FIELDLINE_SENDGRID_API_KEY, with the default or a loopback URL', () => {
    expect(mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.k', FIELDLINE_MAIL_FROM: 'ops@example.com' })).toEqual({
      mode: 'sendgridApiKey',
      organisation: null,
      sendgrid: { baseUrl: 'https://api.sendgrid.com', apiKey: 'SG.k', from: { address: 'ops@example.com' } },
    })
    expect(mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.k', FIELDLINE_MAIL_FROM: 'ops@example.com', FIELDLINE_SENDGRID_URL: 'http://127.0.0.1:4000/' })).toMatchObject({
      sendgrid: { baseUrl: 'http://127.0.0.1:4000' },
    })
    expect(thrown(() => mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.k', FIELDLINE_MAIL_FROM: 'ops@example.com', FIELDLINE_SENDGRID_URL: 'http://api.sendgrid.com' })).details?.ref?.key).toBe(
      'errors.insecureUrl',
    )
  })

  it('needs a sender, and only one of the two transports', () => {
    expect(thrown(() => mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.k' })).details?.ref).toEqual({ key: 'mail.env.invalid', params: { variable: 'FIELDLINE_MAIL_FROM' } })
    expect(thrown(() => mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.k', FIELDLINE_SMTP_URL: 'smtp://h.example', FIELDLINE_MAIL_FROM: 'a@example.com' })).details?.ref?.key).toBe(
      'mail.env.ambiguous',
    )
  })
})

describe('SMTP TLS policy', () => {
  it('adds a custom CA to the default roots rather than replacing them, and never turns verification off', async () => {
    const { X509Certificate } = await import('node:crypto')
    const someRoot = tls.rootCertificates[0]!
    const plain = smtpTlsOptions(undefined)
    expect(plain.rejectUnauthorized).toBeUndefined()
    expect(plain.ca).toContain(someRoot)
    // Any parseable certificate will do as the "private CA": a public root, marked so it can be found.
    const custom = smtpTlsOptions(`Our CA\n${tls.rootCertificates[1]!}`)
    expect(custom.rejectUnauthorized).toBeUndefined()
    expect(custom.ca).toContain(someRoot)
    expect((custom.ca as string[]).length).toBe((plain.ca as string[]).length + 1)
    expect(() => new X509Certificate((custom.ca as string[]).at(-1)!)).not.toThrow()
  })

  it('refuses a CA that is not a certificate', () => {
    expect(thrown(() => smtpTlsOptions('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----')).details?.ref?.key).toBe('errors.invalidCa')
    expect(thrown(() => smtpTlsOptions('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----')).details?.ref?.key).toBe('errors.invalidCa')
  })

  it('accepts plain SMTP for loopback hosts only', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) expect(() => assertSmtpSecurity(host, 'none')).not.toThrow()
    for (const host of ['smtp.example.com', '10.0.0.5', '0.0.0.0']) expect(thrown(() => assertSmtpSecurity(host, 'none')).details?.ref?.key).toBe('mail.smtp.insecureHost')
    expect(() => assertSmtpSecurity('smtp.example.com', 'starttls')).not.toThrow()
  })
})

describe('the SendGrid API URL', () => {
  it('keeps a base without its trailing slash, and refuses a second address typed after the first', () => {
    expect(normaliseSendGridUrl(' https://api.eu.sendgrid.com/ ')).toBe('https://api.eu.sendgrid.com')
    expect(normaliseSendGridUrl('http://127.0.0.1:4000/relay/')).toBe('http://127.0.0.1:4000/relay')
    for (const typed of ['https://api.sendgrid.comhttp://127.0.0.1:8080', 'https://api.sendgrid.comhttps://api.eu.sendgrid.com']) {
      const e = (() => {
        try {
          normaliseSendGridUrl(typed)
        } catch (err) {
          return err as AppError
        }
        return null
      })()
      expect(e?.code, typed).toBe('VALIDATION')
      expect(e?.details?.ref).toEqual({ key: 'errors.invalidUrl', params: { url: typed } })
    }
  })
})
