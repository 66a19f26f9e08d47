/**
 * The system, undici and OpenSSL codes the core sorts transport failures by (core/http/transport-errors.ts). They are
 * shared so that the renderer's words for each one (src-renderer/src/lib/error-causes.ts) are checked against the very
 * list the core names: an operator reads a sentence, never the code.
 */

/** Certificate and TLS failures the core names one by one (it also takes every CERT_, ERR_TLS_ and ERR_SSL_ code as TLS). */
export const TLS_FAILURE_CODES = [
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'UND_ERR_PRX_TLS',
] as const

/** Timeouts, by the phase that ran out of time, and the system's own. */
export const TIMEOUT_CODES = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'] as const

/** Connection-level failures that a later attempt may not meet (a restarting server, a reset keep-alive socket). */
export const TRANSIENT_NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'] as const

/** Other failures that are certainly about reaching the service. */
export const OTHER_NETWORK_CODES = ['ENOTFOUND', 'ENOENT', 'EADDRNOTAVAIL', 'UND_ERR_ABORTED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_SOCKS5'] as const

/** Every code above, and EPROTO (TLS spoken to a port that does not): each has its own sentence in the UI. */
export const NAMED_TRANSPORT_CODES: readonly string[] = [...TLS_FAILURE_CODES, ...TIMEOUT_CODES, ...TRANSIENT_NETWORK_CODES, ...OTHER_NETWORK_CODES, 'EPROTO']
