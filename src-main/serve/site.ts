import { STATUS_CODES, type ServerResponse } from 'node:http'

/**
 * What serve mode answers to, once its port is known: the names it may be reached by, the origins its pages have,
 * and the security headers every answer carries (errors included: a 404 page is a page too).
 */
export interface Site {
  /** The origin printed to the operator. */
  origin: string
  headers: Readonly<Record<string, string>>
  /**
   * Only 127.0.0.1:PORT and localhost:PORT. Another name that resolves to 127.0.0.1 is a DNS-rebinding attack: a
   * web page whose own host name now points here, reading our answers as same-origin.
   */
  hostAllowed(host: string | undefined): boolean
  originAllowed(origin: string | undefined): boolean
}

/**
 * CSP for pages served over HTTP. It matches the Electron window's, plus the WebSocket of this launch:
 * 'self' in connect-src does not cover ws: in every browser.
 */
function contentSecurityPolicy(hosts: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self' ${hosts.map((h) => `ws://${h}`).join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export function siteFor(port: number): Site {
  // A browser leaves the default port out of Host and Origin.
  const suffix = port === 80 ? '' : `:${port}`
  const hosts = [`127.0.0.1${suffix}`, `localhost${suffix}`]
  const origins = new Set(hosts.map((h) => `http://${h}`))
  const hostSet = new Set(hosts)
  return {
    origin: `http://${hosts[0]}`,
    headers: {
      'content-security-policy': contentSecurityPolicy(hosts),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-frame-options': 'DENY',
    },
    // Host names are case-insensitive; ports and the rest are compared exactly.
    hostAllowed: (host) => host !== undefined && hostSet.has(host.toLowerCase()),
    originAllowed: (origin) => origin !== undefined && origins.has(origin.toLowerCase()),
  }
}

/**
 * The body and headers of an answer without a file: the status and its reason phrase, then why when the phrase alone
 * does not say it (a 503 for too many connections), with the site's headers.
 */
function refusal(status: number, headers: Readonly<Record<string, string>>, why?: string): { body: string; headers: Record<string, string> } {
  const body = `${status} ${STATUS_CODES[status] ?? ''}${why ? `: ${why}` : ''}\n`
  return {
    body,
    headers: {
      ...headers,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    },
  }
}

/** An answer without a file: the status, its reason phrase as the body, and the site's headers. */
export function answer(res: ServerResponse, site: Site, status: number, extra: Record<string, string> = {}): void {
  const { body, headers } = refusal(status, site.headers)
  res.writeHead(status, { ...headers, ...extra })
  res.end(body)
}

/**
 * The same answer written by hand on a raw socket (a refused WebSocket upgrade, a request Node could not parse),
 * body included: a client sees why it was refused, not an empty 401.
 */
export function rawAnswer(status: number, siteHeaders: Readonly<Record<string, string>>, why?: string): string {
  const { body, headers } = refusal(status, siteHeaders, why)
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close']
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}
