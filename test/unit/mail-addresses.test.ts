import { describe, expect, it } from 'vitest'
import { addressProblem, displayNameProblem, escapeHtml, isValidAddress, sameAddress, textProblem } from '../../src-shared/models/mail-addresses'
import { emailAddressSchema, inviteInputSchema, isSmtpHost, mailSaveSchema } from '../../src-shared/models/mail'
import { assertSafeMail, parseInput } from '../../src-main/core/mail/mail-validation'
import type { AppError } from '../../src-main/core/common/errors'

function thrown(run: () => unknown): AppError {
  try {
    run()
  } catch (e) {
    return e as AppError
  }
  throw new Error('expected a throw')
}

describe('addresses', () => {
  it.each(['ada@example.com', 'first.last@sub.example.co.uk', "o'brien+tag@example.org", 'x_y-z@a-b.example', '1234@example.io', "!#$%&'*+/=?^_`{|}~-@example.com"])('accepts %s', (address) => {
    expect(addressProblem(address)).toBeNull()
    expect(emailAddressSchema.safeParse(address).success).toBe(true)
  })

  it.each([
    ['', 'empty'],
    ['plainaddress', 'format'],
    ['@example.com', 'format'],
    ['ada@', 'format'],
    ['ada@localhost', 'format'],
    ['ada@example.123', 'format'],
    ['ada@-example.com', 'format'],
    ['ada..b@example.com', 'format'],
    ['.ada@example.com', 'format'],
    ['ada.@example.com', 'format'],
    ['ada b@example.com', 'format'],
    ['"ada"@example.com', 'format'],
    ['ada@[127.0.0.1]', 'format'],
    ['Ada <ada@example.com>', 'format'],
    ['"ceo@bank.example" <attacker@evil.example>', 'format'],
    ['ada@example.com, bob@example.com', 'format'],
    ['ada@example.com;bob@example.com', 'format'],
    ['ada(comment)@example.com', 'format'],
    ['zoë@example.com', 'format'],
    ['ada@exämple.com', 'format'],
    [`${'a'.repeat(65)}@example.com`, 'format'],
    [`ada@${'a'.repeat(250)}.com`, 'tooLong'],
    ['ada@example.com\r\nBcc: x@example.com', 'lineBreak'],
    ['ada@example.com\n', 'lineBreak'],
    ['ada@example.com\u2028', 'lineBreak'],
    ['ada@exa\u0000mple.com', 'control'],
    ['ada@example.com\t', 'control'],
  ])('refuses %j (%s)', (address, problem) => {
    expect(addressProblem(address)).toBe(problem)
    expect(isValidAddress(address)).toBe(false)
  })

  it('compares addresses without case', () => {
    expect(sameAddress('Ada@Example.COM', 'ada@example.com')).toBe(true)
    expect(sameAddress('ada@example.com', 'ada@example.org')).toBe(false)
  })
})

describe('display names and one-line text', () => {
  it.each(["Zoë O'Brien", 'Doe, John', 'Ünal & Söhne GmbH', 'Ada (ops)', '山田 太郎'])('accepts the name %j', (name) => {
    expect(displayNameProblem(name)).toBeNull()
  })

  it.each([
    ['Ada\r\nBcc: x@example.com', 'lineBreak'],
    ['Ada\rBcc', 'lineBreak'],
    ['Ada\u0085', 'lineBreak'],
    ['Ada\u0007', 'control'],
    ['   ', 'empty'],
    ['x'.repeat(101), 'tooLong'],
    ['support@bank.example', 'addressLike'],
    ['Ada <ada@example.com>', 'addressLike'],
    ['Ada "the boss"', 'addressLike'],
    ['Ada \\', 'addressLike'],
  ])('refuses the name %j (%s)', (name, problem) => {
    expect(displayNameProblem(name)).toBe(problem)
  })

  it('lets an organisation name hold HTML-looking text but not a line break', () => {
    expect(textProblem('<b>Acme</b> & Sons', 120)).toBeNull()
    expect(textProblem('Acme\nBcc: x', 120)).toBe('lineBreak')
  })
})

describe('SMTP hosts', () => {
  it.each(['smtp.example.com', 'localhost', 'mailhub', '127.0.0.1', '::1', '2001:db8::25'])('accepts %s', (host) => expect(isSmtpHost(host)).toBe(true))
  it.each(['', 'smtp://example.com', 'example.com:587', 'exa mple.com', '-bad.example', 'example.com/path'])('refuses %j', (host) => expect(isSmtpHost(host)).toBe(false))
})

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;')
  })
  it('escapes an already escaped entity again, so what the operator typed is what is shown', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;')
  })
})

describe('input checks', () => {
  it('names a line break in any field as a header-injection attempt', () => {
    const err = thrown(() => parseInput(inviteInputSchema, { name: 'Eve', email: 'eve@example.org\r\nBcc: x@example.org', role: 'viewer' }))
    expect(err.code).toBe('VALIDATION')
    expect(err.details?.ref).toEqual({ key: 'mail.headerInjection', params: { field: 'email' } })
  })

  it('names one invalid address or name with its own key, several problems with the generic one', () => {
    expect(thrown(() => parseInput(inviteInputSchema, { name: 'Eve', email: 'Eve <eve@example.org>', role: 'viewer' })).details?.ref).toEqual({
      key: 'mail.invalidAddress',
      params: { field: 'email' },
    })
    expect(thrown(() => parseInput(inviteInputSchema, { name: 'eve@example.org', email: 'eve@example.org', role: 'viewer' })).details?.ref).toEqual({
      key: 'mail.invalidName',
      params: { field: 'name' },
    })
    const several = thrown(() => parseInput(inviteInputSchema, { name: '', email: 'nope', role: 'boss' }))
    expect(several.details?.ref).toEqual({ key: 'errors.invalidInput' })
    expect(several.details?.issues?.map((i) => i.path).sort()).toEqual(['email', 'name', 'role'])
  })

  it('defaults the invitation language to English and trims names', () => {
    expect(parseInput(inviteInputSchema, { name: '  Ada  ', email: 'ada@example.com', role: 'operator' })).toEqual({ name: 'Ada', email: 'ada@example.com', role: 'operator', language: 'en' })
  })

  it('refuses control characters in secrets without quoting them', () => {
    const err = thrown(() => parseInput(mailSaveSchema, { mode: 'sendgridApiKey', settings: { adminName: 'Ada', adminEmail: 'ada@example.com' }, secrets: { apiKey: 'SG.abc\r\nX-Evil: 1' } }))
    expect(err.code).toBe('VALIDATION')
    expect(JSON.stringify(err.details)).not.toContain('SG.abc')
    expect(err.message).not.toContain('SG.abc')
  })

  it('checks every header of a message at the transport gate', () => {
    const mail = { from: { name: 'Ada', address: 'ada@example.com' }, to: { address: 'bob@example.com' }, subject: 'Hi', text: 't', html: 'h', language: 'en' }
    expect(() => assertSafeMail(mail)).not.toThrow()
    expect(thrown(() => assertSafeMail({ ...mail, subject: 'Hi\nBcc: x@example.com' })).details?.ref?.key).toBe('mail.headerInjection')
    expect(thrown(() => assertSafeMail({ ...mail, from: { name: 'Ada\n', address: 'ada@example.com' } })).details?.ref?.key).toBe('mail.headerInjection')
    expect(thrown(() => assertSafeMail({ ...mail, to: { address: 'bob@example.com>' } })).details?.ref?.key).toBe('mail.invalidAddress')
    expect(thrown(() => assertSafeMail({ ...mail, to: { name: 'a@b.example', address: 'bob@example.com' } })).details?.ref?.key).toBe('mail.invalidName')
  })
})
