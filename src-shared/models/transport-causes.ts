/**
 * What a transport failure code (core/http/transport-errors.ts names them: ECONNREFUSED, UND_ERR_SOCKET, CERT_HAS_EXPIRED…)
 * means to an operator, as one cause for each code. One map for both sides: the renderer says the cause in the
 * window's language (its catalogue's `errors.cause.<cause>`), the core in the English of the messages the CLI prints.
 */

const BY_CODE = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ENOTFOUND: 'hostNotFound',
  // getaddrinfo reports an unknown host as ENOENT on some systems.
  ENOENT: 'hostNotFound',
  EAI_AGAIN: 'dnsUnavailable',
  EHOSTUNREACH: 'noRoute',
  EADDRNOTAVAIL: 'noRoute',
  ENETUNREACH: 'noNetwork',
  ENETDOWN: 'noNetwork',
  UND_ERR_ABORTED: 'aborted',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'truncated',
  UND_ERR_HEADERS_OVERFLOW: 'badAnswer',
  UND_ERR_SOCKS5: 'proxy',
  UND_ERR_PRX_TLS: 'proxy',
  ETIMEDOUT: 'connectTimeout',
  UND_ERR_CONNECT_TIMEOUT: 'connectTimeout',
  UND_ERR_HEADERS_TIMEOUT: 'answerTimeout',
  UND_ERR_BODY_TIMEOUT: 'answerTimeout',
  EPROTO: 'tlsProtocol',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'selfSigned',
  SELF_SIGNED_CERT_IN_CHAIN: 'selfSigned',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknownIssuer',
  UNABLE_TO_GET_ISSUER_CERT: 'unknownIssuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknownIssuer',
  INVALID_CA: 'unknownIssuer',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'notYetValid',
  HOSTNAME_MISMATCH: 'wrongHost',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrongHost',
  CERT_REVOKED: 'revoked',
  UNABLE_TO_GET_CRL: 'tlsOther',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'tlsOther',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'tlsOther',
  INVALID_PURPOSE: 'tlsOther',
  PATH_LENGTH_EXCEEDED: 'tlsOther',
} as const satisfies Record<string, string>

/**
 * The English sentence of each cause, as the CLI prints it: what happened, then what to do. The core cannot read the
 * renderer's catalogue, so these are its `errors.cause.*` entries of en.json, kept equal to them by a test.
 */
export const TRANSPORT_CAUSES_EN = {
  refused: 'the connection was refused. Check the address and port, and that the service is running.',
  reset: 'the connection was cut off. Try again; if it keeps happening, check the network or proxy between this computer and the service.',
  hostNotFound: 'no host has this name. Check the address for a typing mistake.',
  dnsUnavailable: 'the host name could not be looked up just now. Check the network connection and DNS, then try again.',
  noRoute: 'there is no route to this host. Check the address, the VPN and the firewall.',
  noNetwork: 'this computer is not connected to a network. Connect it, then try again.',
  aborted: 'the request was stopped before it finished. Try again.',
  truncated: 'the answer was cut short. Try again; if it keeps happening, a proxy may be altering the traffic.',
  badAnswer: 'the answer was not valid HTTP. Check that the address points at the service and not at another server.',
  proxy: 'the proxy could not make the connection. Check the proxy settings.',
  connectTimeout: 'the connection could not be made in time. Check the address, the network and the firewall, then try again.',
  answerTimeout: 'the service took the request but did not answer in time. Try again later.',
  tlsProtocol: 'the service does not speak TLS on this port. Check the address’s scheme (https://) and port.',
  selfSigned: 'its certificate is self-signed. If you trust this service, add its certificate as the custom CA.',
  unknownIssuer: 'its certificate comes from an authority this computer does not know. If the service uses a private CA, add it as the custom CA.',
  expired: 'its certificate has expired. Ask the service’s administrator to renew it.',
  notYetValid: 'its certificate is not valid yet. Check this computer’s date and time.',
  wrongHost: 'its certificate is for another host name. Check the address you entered.',
  revoked: 'its certificate has been revoked. Contact the service’s administrator.',
  tlsOther: 'its certificate could not be checked. If the service uses a private CA, add it as the custom CA.',
  other: 'the network connection failed. Check the network and the address, then try again.',
} as const

export type TransportCause = keyof typeof TRANSPORT_CAUSES_EN

/** Families of codes whose members are too many to list (every HTTP parser error, every other certificate check). */
const FAMILIES: readonly [RegExp, TransportCause][] = [
  [/^HPE_[A-Z0-9_]+$/, 'badAnswer'],
  [/^(CERT_|ERR_TLS_|ERR_SSL_)[A-Z0-9_]+$/, 'tlsOther'],
  [/^(E[A-Z0-9]{2,}|UND_ERR_[A-Z0-9_]+|UNKNOWN)$/, 'other'],
]

/** The cause a transport failure code stands for, or null when `code` is not one. */
export function transportCause(code: string): TransportCause | null {
  return (BY_CODE as Readonly<Record<string, TransportCause>>)[code] ?? FAMILIES.find(([pattern]) => pattern.test(code))?.[1] ?? null
}

/**
 * A code said in English with the code kept for support: `reason` is what happened ("no host has this name
 * (ENOTFOUND)"), `explained` adds what to do, as the sentences an English message ends with. Null when `code` is not
 * a transport failure code.
 */
export function transportCauseInEnglish(code: string): { reason: string; explained: string } | null {
  const cause = transportCause(code)
  if (!cause) return null
  const sentence: string = TRANSPORT_CAUSES_EN[cause]
  const end = sentence.indexOf('. ')
  const reason = `${sentence.slice(0, end)} (${code})`
  return { reason, explained: `${reason}.${sentence.slice(end + 1)}` }
}
