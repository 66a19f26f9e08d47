/**
 * Turns the many shapes of a failed HTTP exchange (Node socket errors, undici errors, TLS errors, errors wrapped
 * in `cause` or in an AggregateError by happy-eyeballs connection attempts) into the three bridge categories the
 * operator can act on: NETWORK, TLS and TIMEOUT.
 */
import { transportCauseInEnglish } from '../../../src-shared/models/transport-causes'
import { OTHER_NETWORK_CODES, TLS_FAILURE_CODES, TRANSIENT_NETWORK_CODES } from '../../../src-shared/models/transport-codes'

export type TransportFailureKind = 'network' | 'tls' | 'timeout'

export interface TransportFailure {
  kind: TransportFailureKind
  /** The most specific error code found, e.g. `ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, `UND_ERR_HEADERS_TIMEOUT`. */
  code: string
  /**
   * What happened, in English words with the code for support: "no host has this name (ENOTFOUND)". Never the
   * system's own text, which names the code alone ("getaddrinfo ENOTFOUND api.example"); never contains request data.
   */
  reason: string
  /** The reason and what the operator can do about it, as the sentences an English message ends with. */
  explained: string
  /** Worth another attempt: the same request may well succeed a moment later. */
  transient: boolean
  /** For timeouts, which phase ran out of time. */
  phase?: 'connect' | 'headers' | 'body'
}

const TLS_CODES = new Set<string>(TLS_FAILURE_CODES)

const TIMEOUT_PHASES: Record<string, TransportFailure['phase']> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
}

/** Connection-level failures that a later attempt may not meet (a restarting server, a reset keep-alive socket). */
const TRANSIENT_NETWORK = new Set<string>(TRANSIENT_NETWORK_CODES)

/** Failures that are certainly about reaching the service, as opposed to programming errors that must surface as they are. */
const NETWORK_CODES = new Set<string>([...TRANSIENT_NETWORK_CODES, ...OTHER_NETWORK_CODES])

interface CodedError {
  code: string
  message: string
}

function codedErrors(err: unknown, depth = 0): CodedError[] {
  if (depth > 5 || typeof err !== 'object' || err === null) return []
  const out: CodedError[] = []
  const code = (err as { code?: unknown }).code
  const message = (err as { message?: unknown }).message
  if (typeof code === 'string') out.push({ code, message: typeof message === 'string' ? message : '' })
  const inner = (err as { errors?: unknown }).errors
  if (Array.isArray(inner)) for (const e of inner) out.push(...codedErrors(e, depth + 1))
  out.push(...codedErrors((err as { cause?: unknown }).cause, depth + 1))
  return out
}

function isTlsCode(code: string, message: string): boolean {
  if (TLS_CODES.has(code) || code.startsWith('CERT_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return true
  // OpenSSL failures below the certificate check (e.g. speaking TLS to a plain-HTTP port) arrive as EPROTO.
  return code === 'EPROTO' && /ssl|tls/i.test(message)
}

function failure(kind: TransportFailureKind, code: string, transient: boolean, phase?: TransportFailure['phase']): TransportFailure {
  const words = transportCauseInEnglish(code) ?? { reason: code, explained: code }
  return { kind, code, ...words, transient, ...(phase ? { phase } : {}) }
}

/** Returns the category of a transport failure, or null when `err` is not one (a bug that must surface as it is). */
export function classifyTransportError(err: unknown): TransportFailure | null {
  const all = codedErrors(err)
  const tls = all.find((e) => isTlsCode(e.code, e.message))
  if (tls) return failure('tls', tls.code, false)
  const timeout = all.find((e) => e.code in TIMEOUT_PHASES || e.code === 'ETIMEDOUT')
  if (timeout) {
    const phase = TIMEOUT_PHASES[timeout.code] ?? 'connect'
    return failure('timeout', timeout.code, true, phase)
  }
  const network = all.find((e) => NETWORK_CODES.has(e.code) || e.code.startsWith('HPE_'))
  if (network) return failure('network', network.code, TRANSIENT_NETWORK.has(network.code))
  return null
}
