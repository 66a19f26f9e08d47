/**
 * The command rules of the mbed bridge (docs/wire/mbed.md §2; src-main/core/mbed/commands.ts): every invalid form is
 * refused with its reason, valid ones are decoded.
 */
import { describe, expect, it } from 'vitest'
import { checkCommand, resourceIdProblem, type CommandCheck } from '../../src-main/core/mbed/commands'

const EP = '0172abc'
const ok = { method: 'PUT', deviceId: EP, resourceId: '3/0/1', payload: Buffer.from('21.5').toString('base64') }

function check(body: unknown, topicId: string | null = EP, max?: number): CommandCheck {
  return checkCommand(typeof body === 'string' ? body : JSON.stringify(body), topicId, max)
}

function reason(c: CommandCheck): string {
  return c.ok ? 'ok' : c.reason
}

describe('checkCommand', () => {
  it('accepts PUT and POST and decodes the payload', () => {
    const put = check(ok)
    expect(put.ok).toBe(true)
    if (put.ok) expect(put.command).toEqual({ method: 'PUT', deviceId: EP, resourceId: '3/0/1', path: '/3/0/1', payload: Buffer.from('21.5') })
    const post = check({ ...ok, method: 'POST', resourceId: '3/0/4' })
    expect(post.ok && post.command.method).toBe('POST')
  })

  it('accepts a POST without payload (execute) and an empty base64 payload', () => {
    const exec = check({ method: 'POST', deviceId: EP, resourceId: '3/0/4' })
    expect(exec.ok && exec.command.payload.length).toBe(0)
    expect(reason(check({ ...ok, payload: '' }))).toBe('ok')
  })

  it('ignores extra fields', () => {
    expect(reason(check({ ...ok, note: 'from the dashboard', qos: 1 }))).toBe('ok')
  })

  it.each<[unknown, string]>([
    ['put', 'lower case'],
    ['Put', 'mixed case'],
    ['GET', 'GET is not a documented command'],
    ['DELETE', 'DELETE is not a documented command'],
    [' PUT', 'padded'],
    [1, 'not a string'],
  ])('refuses method %j (%s)', (method) => {
    const c = check({ ...ok, method })
    expect(reason(c)).toBe('invalidMethod')
    expect(!c.ok && c.field).toBe('method')
  })

  it.each([
    ['/3/0/1', 'leading slash'],
    ['3//1', 'empty segment'],
    ['3/0/', 'trailing slash'],
    ['../../limits', 'climbs out of the endpoint'],
    ['3/./1', 'dot segment'],
    ['3/0/1?x=1', 'query'],
    ['3/0/1#f', 'fragment'],
    ['3/0 /1', 'whitespace'],
    ['3\\0\\1', 'backslash'],
    ['', 'empty'],
    ['1/'.repeat(128) + '1', 'longer than 254'],
  ])('refuses resourceId %j (%s)', (resourceId) => {
    expect(reason(check({ ...ok, resourceId }))).toBe('invalidResourceId')
  })

  it('refuses a resourceId that is not a string', () => {
    expect(reason(check({ ...ok, resourceId: 3 }))).toBe('invalidResourceId')
  })

  it.each([
    ['not base64!', 'foreign characters'],
    ['NDI', 'missing padding'],
    ['ND I=', 'whitespace'],
    ['NDI=\n', 'trailing newline'],
    ['_-8=', 'URL alphabet'],
    ['NDI==', 'too much padding'],
  ])('refuses payload %j (%s)', (payload) => {
    expect(reason(check({ ...ok, payload }))).toBe('invalidPayload')
  })

  it('refuses a payload that is not a string', () => {
    expect(reason(check({ ...ok, payload: 42 }))).toBe('invalidPayload')
  })

  it.each(['method', 'deviceId', 'resourceId'])('refuses a command without %s', (field) => {
    const body: Record<string, unknown> = { ...ok }
    delete body[field]
    const c = check(body)
    expect(reason(c)).toBe('missingField')
    expect(!c.ok && c.field).toBe(field)
  })

  it('refuses a PUT without payload', () => {
    const c = check({ method: 'PUT', deviceId: EP, resourceId: '3/0/1' })
    expect(reason(c)).toBe('missingField')
    expect(!c.ok && c.field).toBe('payload')
  })

  it('refuses a deviceId that differs from the topic, or is not an endpoint name', () => {
    expect(reason(check({ ...ok, deviceId: 'other' }))).toBe('deviceIdMismatch')
    expect(reason(check({ ...ok, deviceId: 'a b' }, null))).toBe('invalidDeviceId')
    expect(reason(check({ ...ok, deviceId: 7 }, null))).toBe('invalidDeviceId')
    // Without a topic (the console's form) any endpoint name will do.
    expect(reason(check({ ...ok, deviceId: 'ep:with-colon' }, null))).toBe('ok')
  })

  it('refuses non-JSON, non-objects and oversized messages', () => {
    expect(reason(check('hello'))).toBe('notJson')
    expect(reason(check(''))).toBe('notJson')
    expect(reason(check('[1,2]'))).toBe('notObject')
    expect(reason(check('"PUT"'))).toBe('notObject')
    expect(reason(check('null'))).toBe('notObject')
    expect(reason(check({ ...ok, payload: 'A'.repeat(200) }, EP, 100))).toBe('tooLarge')
    expect(reason(checkCommand(Buffer.alloc(131_073, 0x20), EP))).toBe('tooLarge')
  })
})

describe('resourceIdProblem', () => {
  it('accepts ordinary LwM2M paths', () => {
    for (const id of ['3/0/1', '3311/0/5850', 'dev/temp', 'a-b_c.d/0']) expect(resourceIdProblem(id)).toBeNull()
  })
})
