import { describe, expect, it } from 'vitest'
import { parseSendGridCredentials } from '../../src-main/core/mail/credentials-json'

const SECRET = 'SG-pa55word-Zq9'

const binding = `{
  "name": "sendgrid-fieldline",
  "label": "sendgrid",
  "plan": "free",
  "credentials": {
    "hostname": "smtp.sendgrid.net",
    "username": "apikey",
    "password": "${SECRET}"
  }
}`

describe('SendGrid service credentials', () => {
  it('reads a service binding and ignores its other keys', () => {
    expect(parseSendGridCredentials(binding)).toEqual({
      valid: true,
      diagnostics: [],
      value: { hostname: 'smtp.sendgrid.net', username: 'apikey', password: SECRET, name: 'sendgrid-fieldline', label: 'sendgrid' },
    })
  })

  it('reads the bare credentials object', () => {
    expect(parseSendGridCredentials(`{"hostname":"smtp.sendgrid.net","username":"u","password":" keeps spaces "}`).value).toEqual({
      hostname: 'smtp.sendgrid.net',
      username: 'u',
      password: ' keeps spaces ',
    })
  })

  it('points out a syntax error with its line and column', () => {
    const text = binding.replace('"username": "apikey",', '"username": "apikey"')
    const check = parseSendGridCredentials(text)
    expect(check.valid).toBe(false)
    expect(check.diagnostics[0]).toMatchObject({ line: 8, column: 5, severity: 'error', ref: { key: 'mail.credentials.jsonSyntax', params: { detail: 'CommaExpected', line: 8, column: 5 } } })
  })

  it('counts columns from 1 and lines across CRLF line ends', () => {
    const check = parseSendGridCredentials('{\r\n  "credentials": {\r\n    "hostname": smtp\r\n  }\r\n}')
    expect(check.diagnostics[0]).toMatchObject({ line: 3, column: 17 })
  })

  it('reports an empty paste and a trailing comma', () => {
    expect(parseSendGridCredentials('').diagnostics[0]).toMatchObject({ line: 1, column: 1, ref: { key: 'mail.credentials.jsonSyntax' } })
    const trailing = parseSendGridCredentials('{"hostname":"h.example","username":"u","password":"p",}')
    expect(trailing.valid).toBe(false)
    // At the comma itself, the character to remove (the closing brace after it is fine).
    expect(trailing.diagnostics[0]).toMatchObject({ line: 1, column: 54 })
  })

  it('points at missing and mistyped fields', () => {
    const text = '{\n  "credentials": {\n    "hostname": "smtp.sendgrid.net",\n    "username": 42\n  }\n}'
    const check = parseSendGridCredentials(text)
    expect(check.valid).toBe(false)
    expect(check.diagnostics.map((d) => [d.ref.key, d.ref.params?.field, d.line, d.column])).toEqual([
      ['mail.credentials.notString', 'credentials.username', 4, 17],
      ['mail.credentials.missing', 'credentials.password', 2, 18],
    ])
  })

  it('asks for "credentials" when the object has none of the fields', () => {
    expect(parseSendGridCredentials('{"name":"x"}').diagnostics[0]).toMatchObject({ ref: { key: 'mail.credentials.missing', params: { field: 'credentials' } }, line: 1, column: 1 })
    expect(parseSendGridCredentials('[1]').diagnostics[0]).toMatchObject({ ref: { key: 'mail.credentials.notObject' } })
    expect(parseSendGridCredentials('{"credentials":"x"}').diagnostics[0]).toMatchObject({ ref: { key: 'mail.credentials.notObject' }, pointer: '/credentials' })
  })

  it('refuses a host name that is a URL, and control characters in any field', () => {
    expect(parseSendGridCredentials('{"hostname":"https://smtp.sendgrid.net","username":"u","password":"p"}').diagnostics[0]?.ref).toEqual({
      key: 'mail.credentials.invalidHost',
      params: { field: 'hostname' },
    })
    expect(parseSendGridCredentials('{"hostname":"smtp.sendgrid.net","username":"u\\r\\nX","password":"p"}').diagnostics[0]?.ref).toEqual({
      key: 'mail.credentials.control',
      params: { field: 'username' },
    })
  })

  it('refuses nesting far deeper than a binding before parsing it, instead of overflowing the stack', () => {
    const check = parseSendGridCredentials('['.repeat(32_000))
    expect(check.valid).toBe(false)
    expect(check.diagnostics).toHaveLength(1)
    expect(check.diagnostics[0]).toMatchObject({ line: 1, column: 17, ref: { key: 'mail.credentials.tooDeep', params: { max: 16 } } })
    expect(parseSendGridCredentials(`{"credentials":${'{"a":'.repeat(14)}1${'}'.repeat(14)}}`).diagnostics[0]?.ref.key).toBe('mail.credentials.missing')
  })

  it('words a syntax error as before, with its line and column in the message parameters', () => {
    expect(parseSendGridCredentials('{"hostname" "x"}').diagnostics[0]).toEqual({
      severity: 'error',
      message: 'JSON syntax error: ColonExpected',
      ref: { key: 'mail.credentials.jsonSyntax', params: { detail: 'ColonExpected', line: 1, column: 13 } },
      pointer: '',
      line: 1,
      column: 13,
      endLine: 1,
      endColumn: 16,
    })
  })

  it('never quotes the password in a diagnostic', () => {
    const broken = [binding.replace('"hostname": "smtp.sendgrid.net",', '"hostname": 1,'), binding.replace(`"password": "${SECRET}"`, `"password": "${SECRET}\\u0007"`), binding.replace('}\n}', '}')]
    for (const text of broken) {
      const check = parseSendGridCredentials(text)
      expect(check.valid).toBe(false)
      expect(JSON.stringify(check.diagnostics)).not.toContain(SECRET)
    }
  })
})
