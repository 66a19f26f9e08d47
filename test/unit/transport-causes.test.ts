/**
 * One cause per transport code for both sides: the renderer translates it (errors.cause.*), the core says it in the
 * English of the messages the CLI prints, with the code kept in parentheses for support.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { classifyTransportError } from '../../src-main/core/http/transport-errors'
import { TRANSPORT_CAUSES_EN, transportCauseInEnglish } from '../../src-shared/models/transport-causes'

const en = JSON.parse(readFileSync(new URL('../../src-renderer/src/i18n/en.json', import.meta.url), 'utf8')) as { errors: { cause: Record<string, string> } }

describe('transport causes in English', () => {
  it("are the renderer's English catalogue's errors.cause entries, word for word, each what happened then what to do", () => {
    expect(TRANSPORT_CAUSES_EN).toEqual(en.errors.cause)
    // transportCauseInEnglish puts the code after the first sentence.
    for (const sentence of Object.values(TRANSPORT_CAUSES_EN)) expect(sentence).toMatch(/^[^.]+\. \S.*\.$/)
  })

  it('say a code in words with the code in parentheses, and nothing for what is not a code', () => {
    expect(transportCauseInEnglish('ENOTFOUND')).toEqual({
      reason: 'no host has this name (ENOTFOUND)',
      explained: 'no host has this name (ENOTFOUND). Check the address for a typing mistake.',
    })
    expect(transportCauseInEnglish('HPE_INVALID_CONSTANT')?.reason).toBe('the answer was not valid HTTP (HPE_INVALID_CONSTANT)')
    expect(transportCauseInEnglish('EWHATEVER')?.reason).toBe('the network connection failed (EWHATEVER)')
    expect(transportCauseInEnglish('Not authorized (0x87)')).toBeNull()
  })

  it("are what a classified failure says, never the system's own text", () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.open-meteo.com'), { code: 'ENOTFOUND', hostname: 'api.open-meteo.com' })
    expect(classifyTransportError(new TypeError('fetch failed', { cause: dns }))).toMatchObject({
      kind: 'network',
      code: 'ENOTFOUND',
      reason: 'no host has this name (ENOTFOUND)',
      explained: 'no host has this name (ENOTFOUND). Check the address for a typing mistake.',
    })
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
    expect(classifyTransportError(socket)?.explained).toBe(
      'the connection was cut off (UND_ERR_SOCKET). Try again; if it keeps happening, check the network or proxy between this computer and the service.',
    )
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect(classifyTransportError(tls)).toMatchObject({ kind: 'tls', reason: 'its certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)' })
  })
})
