import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { redactUrlsDeep, redactUrlsIn } from '../../src-main/core/common/redact-url'
import { auditDoc } from '../../src-main/core/store/audit.store'
import { redactingLogger } from '../../src-main/core/log/redacting-logger'

describe('URL credentials are never echoed', () => {
  it('redacts the user-info of every URL in free text, valid or not', () => {
    expect(redactUrlsIn('Not a valid URL: https://user:s3cret@[bad')).toBe('Not a valid URL: https://***@[bad')
    expect(redactUrlsIn('a mqtt://u:p@h:1883/x and smtp://x:y@mail b')).toBe('a mqtt://***@h:1883/x and smtp://***@mail b')
    // A password may hold '@', ':' and spaces; the last '@' before the path ends it.
    expect(redactUrlsIn('https://u:p@ss:w@rd@host/path')).toBe('https://***@host/path')
    expect(redactUrlsIn('Not a valid URL: https://user:my secret@host')).toBe('Not a valid URL: https://***@host')
    expect(redactUrlsIn('"https://u:p@h" and "x@y"')).toBe('"https://***@h" and "x@y"')
    expect(redactUrlsIn('https://example.com/path no credentials, mail ops@example.com')).toBe('https://example.com/path no credentials, mail ops@example.com')
    expect(redactUrlsIn('https://example.com/@user')).toBe('https://example.com/@user')
    expect(redactUrlsIn('user@example.com is not a URL')).toBe('user@example.com is not a URL')
    expect(redactUrlsIn(redactUrlsIn('https://u:p@h'))).toBe('https://***@h')
  })

  it('runs in linear time on hostile text', () => {
    const text = `${'://'.repeat(200_000)}${'a'.repeat(1_000_000)}@`
    expect(redactUrlsIn(text).endsWith('***@')).toBe(true)
    expect(redactUrlsIn('x'.repeat(2_000_000))).toHaveLength(2_000_000)
  })

  it('redacts strings inside structured values without changing their shape, deep values included', () => {
    const value = { a: ['https://u:p@h', 1, null, { b: 'ws://x:y@z' }], c: true, ['__proto__']: 'kept' }
    const out = redactUrlsDeep(JSON.parse(JSON.stringify(value))) as Record<string, unknown>
    expect(out.a).toEqual(['https://***@h', 1, null, { b: 'ws://***@z' }])
    expect(out.c).toBe(true)
    // A "__proto__" member stays an ordinary member of the copy; it never becomes the copy's prototype.
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('kept')
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    let deep: unknown = 'https://u:p@h'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(() => redactUrlsDeep(deep)).not.toThrow()
    const when = new Date(0)
    expect(redactUrlsDeep({ when, bytes: Buffer.from('https://u:p@h') })).toEqual({ when, bytes: Buffer.from('https://u:p@h') })
    const error = Object.assign(new TypeError('Invalid URL'), { input: 'https://u:p@[' })
    expect(redactUrlsDeep({ err: error })).toMatchObject({ err: { type: 'TypeError', message: 'Invalid URL', input: 'https://***@[' } })
  })

  it('in every AppError message and detail, whichever module built it', () => {
    const e = AppError.withRef(
      'VALIDATION',
      'Not a valid URL: https://u:s3cret@[x',
      { key: 'errors.invalidUrl', params: { url: 'https://u:s3cret@[x' } },
      { issues: [{ path: 'url', message: 'bad https://u:s3cret@h' }] },
    )
    expect(JSON.stringify(e.toInfo())).not.toContain('s3cret')
    expect(e.toInfo()).toMatchObject({ message: 'Not a valid URL: https://***@[x', details: { ref: { params: { url: 'https://***@[x' } } } })
  })

  it('in every audit entry', () => {
    const doc = auditDoc({
      actor: 'op',
      action: 'x',
      target: 'https://u:s3cret@h',
      outcome: 'failed',
      detail: 'mqtt://a:s3cret@b refused',
      before: { url: 'https://u:s3cret@h' },
      after: ['wss://u:s3cret@h'],
    })
    expect(JSON.stringify(doc)).not.toContain('s3cret')
  })

  it('in every log line, message and fields alike', () => {
    const lines: unknown[][] = []
    const sink = { info: (...a: unknown[]) => lines.push(a), warn: (...a: unknown[]) => lines.push(a), error: (...a: unknown[]) => lines.push(a), debug: (...a: unknown[]) => lines.push(a) }
    const log = redactingLogger(sink as never)
    log.warn({ broker: 'mqtt://u:s3cret@h', err: new Error('connect to https://u:s3cret@h failed') }, 'link to %s', 'ws://u:s3cret@h')
    log.info('plain https://u:s3cret@h')
    log.error(new Error('to mqtt://u:s3cret@h'), 'failed')
    expect(JSON.stringify(lines)).not.toContain('s3cret')
    expect(lines).toHaveLength(3)
    expect(lines[2]![0]).toMatchObject({ err: { type: 'Error', message: 'to mqtt://***@h' } })
  })
})
