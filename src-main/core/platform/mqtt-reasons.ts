/**
 * What a broker's refusal means for the link: CONNACK return codes (MQTT 3.1.1) and reason codes (MQTT 5), and
 * MQTT 5 DISCONNECT reasons, each mapped to an error code, a translated key, and whether retrying can help.
 */
import type { ErrorCode } from '../../../src-shared/contract'

export interface Refusal {
  code: ErrorCode
  key: string
  fatal: boolean
  text: string
  /** For a transport failure, its code (ECONNREFUSED): the UI says it in words instead of showing `text`. */
  cause?: string
}

/** CONNACK return codes (3.1.1: 1–5) and reason codes (5: ≥ 0x80); the two ranges do not overlap. */
const CONNACK_REFUSALS: Record<number, Omit<Refusal, 'text'>> = {
  1: { code: 'VALIDATION', key: 'platform.protocolRejected', fatal: true },
  2: { code: 'VALIDATION', key: 'platform.clientIdRejected', fatal: true },
  3: { code: 'NETWORK', key: 'platform.serverUnavailable', fatal: false },
  4: { code: 'AUTH_FAILED', key: 'platform.authFailed', fatal: true },
  5: { code: 'AUTH_FAILED', key: 'platform.authFailed', fatal: true },
  0x81: { code: 'VALIDATION', key: 'platform.protocolRejected', fatal: true },
  0x82: { code: 'VALIDATION', key: 'platform.protocolRejected', fatal: true },
  0x84: { code: 'VALIDATION', key: 'platform.protocolRejected', fatal: true },
  0x85: { code: 'VALIDATION', key: 'platform.clientIdRejected', fatal: true },
  0x86: { code: 'AUTH_FAILED', key: 'platform.authFailed', fatal: true },
  0x87: { code: 'AUTH_FAILED', key: 'platform.authFailed', fatal: true },
  0x88: { code: 'NETWORK', key: 'platform.serverUnavailable', fatal: false },
  0x89: { code: 'NETWORK', key: 'platform.serverUnavailable', fatal: false },
  0x8a: { code: 'FORBIDDEN', key: 'platform.banned', fatal: true },
  0x8c: { code: 'AUTH_FAILED', key: 'platform.authFailed', fatal: true },
  0x95: { code: 'VALIDATION', key: 'platform.protocolRejected', fatal: true },
  0x97: { code: 'RATE_LIMITED', key: 'platform.rateLimited', fatal: false },
  0x9c: { code: 'NETWORK', key: 'platform.serverMoved', fatal: true },
  0x9d: { code: 'NETWORK', key: 'platform.serverMoved', fatal: true },
  0x9f: { code: 'RATE_LIMITED', key: 'platform.rateLimited', fatal: false },
}

/** MQTT 5 DISCONNECT reasons a reconnect cannot fix; any other server disconnect is retried. */
const DISCONNECT_REFUSALS: Record<number, Omit<Refusal, 'text'>> = {
  0x8a: { code: 'FORBIDDEN', key: 'platform.banned', fatal: true },
  0x8e: { code: 'CONFLICT', key: 'platform.sessionTakenOver', fatal: true },
  0x9c: { code: 'NETWORK', key: 'platform.serverMoved', fatal: true },
  0x9d: { code: 'NETWORK', key: 'platform.serverMoved', fatal: true },
}

const REASON_TEXT: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8b: 'server shutting down',
  0x8c: 'bad authentication method',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x98: 'administrative action',
  0x99: 'payload format invalid',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
}

export function reasonText(code: number): string {
  return `${REASON_TEXT[code] ?? 'refused'} (0x${code.toString(16).padStart(2, '0')})`
}

function refusalFrom(table: Record<number, Omit<Refusal, 'text'>>, code: number): Refusal {
  const entry = table[code] ?? { code: 'NETWORK', key: 'platform.connectionLost', fatal: false }
  return { ...entry, text: reasonText(code) }
}

export function connackRefusal(code: number): Refusal {
  return refusalFrom(CONNACK_REFUSALS, code)
}

export function disconnectRefusal(code: number): Refusal {
  return refusalFrom(DISCONNECT_REFUSALS, code)
}
