/** The link's pure parts and its behaviour without a broker; the broker-facing behaviour is in the integration suite. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { backoffDelay } from '../../src-main/core/common/backoff'
import { linkSecurity, parseClientId } from '../../src-main/core/platform/broker-url'
import { createPlatformLink, publishFailure } from '../../src-main/core/platform/link'

function rejection(fn: () => unknown): AppError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected a throw')
}

describe('linkSecurity', () => {
  it.each([
    ['mqtts://broker.example.com:8883', 'tls'],
    ['wss://org.messaging.internetofthings.ibmcloud.com:443/mqtt', 'tls'],
    ['mqtts://127.0.0.1:8883', 'tls'],
    ['mqtt://127.0.0.1:1883', 'loopback-plain'],
    ['mqtt://127.5.6.7', 'loopback-plain'],
    ['mqtt://localhost:1883', 'loopback-plain'],
    ['ws://[::1]:8080/mqtt', 'loopback-plain'],
    ['mqtt://broker.plant.local:1883', 'plain-remote'],
    ['mqtt://10.0.0.5', 'plain-remote'],
    ['ws://org.messaging.internetofthings.ibmcloud.com/mqtt', 'plain-remote'],
    ['mqtt://localhost.evil.example', 'plain-remote'],
  ])('%s is %s', (url, expected) => {
    expect(linkSecurity(url)).toBe(expected)
  })

  it.each(['http://broker:1883', 'tcp://broker', 'not a url', 'mqtt://', 'file:///tmp/x'])('refuses %j', (url) => {
    const e = rejection(() => linkSecurity(url))
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref?.key).toBe('errors.invalidUrl')
  })

  it('refuses credentials inside the URL', () => {
    expect(rejection(() => linkSecurity('mqtts://user:secret@broker:8883')).details?.ref?.key).toBe('errors.urlHasCredentials')
  })

  it('sets insecure only for plain transport to a remote host', () => {
    expect(createPlatformLink({ url: 'mqtt://10.0.0.5:1883', clientId: 'a:org:app' }).insecure).toBe(true)
    expect(createPlatformLink({ url: 'mqtt://127.0.0.1:1883', clientId: 'a:org:app' }).insecure).toBe(false)
    expect(createPlatformLink({ url: 'mqtts://10.0.0.5:8883', clientId: 'a:org:app' }).insecure).toBe(false)
  })
})

describe('client ids', () => {
  it('accepts the application forms', () => {
    expect(parseClientId('a:abc123:console-1')).toEqual({ scalable: false, org: 'abc123', appId: 'console-1' })
    expect(parseClientId('A:abc123:bridge_2.x')).toEqual({ scalable: true, org: 'abc123', appId: 'bridge_2.x' })
    expect(parseClientId('A:abc123:bridge:instance-7')).toEqual({ scalable: true, org: 'abc123', appId: 'bridge', instanceId: 'instance-7' })
  })

  it.each([
    '',
    'console',
    'd:org:type:dev',
    'g:org:type:dev',
    'a:org',
    'a:org:',
    'a::app',
    'a:org:app:extra',
    'a:org:app/x',
    'a:org:app+',
    'a:org:é',
    `a:org:${'x'.repeat(37)}`,
    `A:org:app:${'i'.repeat(37)}`,
    'b:org:app',
  ])('refuses %j', (id) => {
    const e = rejection(() => createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: id }))
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref?.key).toBe('platform.invalidClientId')
  })
})

describe('backoff', () => {
  const range = { minMs: 1000, maxMs: 60_000 }

  it('doubles from minMs and stops at maxMs', () => {
    const top = (n: number) => backoffDelay(n, range, () => 1)
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(top)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000])
  })

  it('draws from the upper half of each step', () => {
    expect(backoffDelay(1, range, () => 0)).toBe(500)
    expect(backoffDelay(3, range, () => 0.5)).toBe(3000)
    expect(backoffDelay(20, range, () => 0)).toBe(30_000)
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, range)
      expect(d).toBeGreaterThanOrEqual(4000)
      expect(d).toBeLessThanOrEqual(8000)
    }
  })

  it('is spread by the jitter (many clients do not retry in step)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, range)))
    expect(delays.size).toBeGreaterThan(10)
  })
})

describe('options and publishing without a connection', () => {
  it('refuses a CA that is not a PEM certificate, at creation', () => {
    const e = rejection(() => createPlatformLink({ url: 'mqtts://127.0.0.1:8883', clientId: 'a:o:a', ca: ['-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----'] }))
    expect(e.details?.ref?.key).toBe('errors.invalidCa')
  })

  it('refuses bad reconnect ranges and keepalives', () => {
    expect(rejection(() => createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: 'a:o:a', reconnect: { minMs: 500, maxMs: 100 } })).code).toBe('VALIDATION')
    expect(rejection(() => createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: 'a:o:a', keepaliveSeconds: -1 })).code).toBe('VALIDATION')
  })

  it('rejects a publish before connect with NETWORK, classified not-sent', async () => {
    const link = createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: 'a:o:a' })
    expect(link.state).toBe('idle')
    const err = await link.publish('a/b', 'x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('NETWORK')
    expect((err as AppError).details?.ref).toEqual({ key: 'platform.notConnected', params: { state: 'idle' } })
    expect(publishFailure(err)).toBe('not-sent')
  })

  it('validates topic, qos and size before anything else', async () => {
    const link = createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: 'a:o:a' })
    await expect(link.publish('a/+', 'x')).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(link.publish('a/b', 'x', { qos: 2 as 0 })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(link.publish('a/b', Buffer.alloc(131_073))).rejects.toMatchObject({ code: 'TOO_LARGE', details: { ref: { key: 'platform.payloadTooLarge' } } })
    const circular: { self?: unknown } = {}
    circular.self = circular
    await expect(link.publish('a/b', circular)).rejects.toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'platform.invalidPayload' } } })
    expect(() => link.subscribe('a/#/b', () => {})).toThrow(AppError)
  })

  it('close() before connect() stops the link and rejects nothing pending', async () => {
    const link = createPlatformLink({ url: 'mqtt://127.0.0.1:1', clientId: 'a:o:a' })
    const states: string[] = []
    link.on('state', (e) => states.push(e.state))
    await link.close()
    expect(link.state).toBe('stopped')
    expect(states).toEqual(['stopped'])
  })
})
