/**
 * Wire-level formats shared by the Control Center peer's REST and SOAP faces (docs/wire/control-center.md §1.3, §1.4, §2).
 * Everything here is about bytes on the wire: date layouts, charsets, envelopes, unit conversions.
 */

export type ErrorBody = { errorMessage: string; errorCode?: string }

/** A fully rendered answer; the server layer may still rewrite it for faults (latin1, slowBody, drop). */
export interface PeerResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** Kept so the latin1 fault can re-render an error with a non-ASCII message in the same dialect. */
  error?: { api: 'rest'; status: number; body: ErrorBody } | { api: 'soap'; faultstring: string; detail: string; status: number }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** §1.4: REST response timestamps look like "2016-06-29 00:21:33.339+0000" (space, millis, ±HHMM; always UTC here). */
export function restDate(ms: number | null): string | null {
  if (ms === null) return null
  const d = new Date(ms)
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
  )
}

/** §2: xs:dateTime as Control Center's JAXB stack prints it ("2016-01-18T12:22:04.853Z"). */
export function xsDateTime(ms: number): string {
  return new Date(ms).toISOString()
}

/** §2.4: xs:date in UTC; JAXB prints a zero offset as "Z" ("2023-12-01Z"). [I] for the exact suffix. */
export function xsDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 10)}Z`
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})$/

/**
 * §1.4 request date-times: "yyyy-MM-ddTHH:mm:ssZ", e.g. 2016-04-18T17:31:34+00:00 (the '+' must travel as %2B).
 * An unencoded '+' arrives as a space (form decoding, as a servlet container does it) and is rejected here: a lenient
 * peer would hide exactly the client bug the real server exposes. Returns epoch ms or null when malformed.
 */
export function parseRequestDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text)
  if (!m) return null
  const [, y, mo, d, h, mi, s, frac, zone] = m
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number((frac ?? '0').padEnd(3, '0')))
  if (!validCalendar(base, Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null
  return base - offsetMinutes(zone ?? 'Z') * 60_000
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:?\d{2})?$/

/**
 * §1.4 cycle dates ("2016-11-10Z" or "2016-11-10+00:00") and xs:date in SOAP. A bare date is taken as UTC, which is
 * what an xs:date parser does. Returns the instant of that date's midnight in its own offset, or null when malformed.
 */
export function parseCycleDate(text: string): number | null {
  const m = DATE_ONLY.exec(text)
  if (!m) return null
  const [, y, mo, d, zone] = m
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d))
  if (!validCalendar(base, Number(y), Number(mo), Number(d))) return null
  return base - offsetMinutes(zone ?? 'Z') * 60_000
}

function validCalendar(ms: number, y: number, mo: number, d: number): boolean {
  const date = new Date(ms)
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)))
}

/**
 * Bytes → MB for the SOAP volumes (§2.2, §2.4 say "MB" without defining it). We use 1 MB = 1,048,576 bytes and print
 * the exact decimal (a power-of-two fraction always terminates), so MB × 1,048,576 gives back REST's byte count.
 */
export function bytesToMb(bytes: number): string {
  const scaled = (BigInt(bytes) * 5n ** 20n).toString().padStart(21, '0')
  const whole = scaled.slice(0, -20).replace(/^0+(?=\d)/, '')
  const fraction = scaled.slice(-20).replace(/0+$/, '')
  return fraction ? `${whole}.${fraction}` : whole
}

/** Java writes ISO-8859-1 and substitutes '?' for what Latin-1 cannot hold; Buffer's 'latin1' would truncate instead. */
export function encodeLatin1(text: string): Buffer {
  return Buffer.from(Array.from(text, (ch) => ((ch.codePointAt(0) ?? 0) > 0xff ? '?' : ch)).join(''), 'latin1')
}

/** §1.3: error bodies carry charset ISO-8859-1. */
export function restError(status: number, body: ErrorBody, headers: Record<string, string> = {}): PeerResponse {
  return {
    status,
    headers: { 'content-type': 'application/json;charset=ISO-8859-1', ...headers },
    body: encodeLatin1(JSON.stringify(body)),
    error: { api: 'rest', status, body },
  }
}

export function restJson(status: number, value: unknown): PeerResponse {
  return { status, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: Buffer.from(JSON.stringify(value), 'utf8') }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export const reasonPhrase = (status: number): string => REASONS[status] ?? 'Error'

/**
 * The page a web server or load balancer answers with (§1.1: the console host gives an HTML 404 on /rws/api/*).
 * Clients must detect it by Content-Type, not by trying JSON.parse on it.
 */
export function htmlPage(status: number, headers: Record<string, string> = {}): PeerResponse {
  const title = `${status} ${reasonPhrase(status)}`
  const html = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body: Buffer.from(html, 'utf8') }
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
}

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope'
export const JASPER_NS = 'http://api.jasperwireless.com/ws/schema'

export function soapEnvelope(bodyXml: string, encoding: 'UTF-8' | 'ISO-8859-1' = 'UTF-8'): string {
  return `<?xml version="1.0" encoding="${encoding}"?>` + `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV_NS}"><SOAP-ENV:Header/><SOAP-ENV:Body>${bodyXml}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
}

/**
 * §2.1: errors are SOAP 1.1 faults whose faultstring is the numeric code. SOAP 1.1 over HTTP answers faults with 500.
 * [I] faultcode Server (Spring-WS's default for endpoint exceptions) for coded errors and Client for malformed
 * requests; the human text goes in detail/message since the faultstring slot holds the code.
 */
export function soapFault(
  faultstring: string,
  detail: string,
  options: { faultcode?: 'SOAP-ENV:Server' | 'SOAP-ENV:Client' | 'SOAP-ENV:VersionMismatch'; status?: number; latin1?: boolean; headers?: Record<string, string> } = {},
): PeerResponse {
  const status = options.status ?? 500
  const encoding = options.latin1 ? 'ISO-8859-1' : 'UTF-8'
  const xml = soapEnvelope(
    `<SOAP-ENV:Fault><faultcode>${options.faultcode ?? 'SOAP-ENV:Server'}</faultcode>` +
      `<faultstring xml:lang="en">${escapeXml(faultstring)}</faultstring>` +
      `<detail><ns2:message xmlns:ns2="${JASPER_NS}">${escapeXml(detail)}</ns2:message></detail></SOAP-ENV:Fault>`,
    encoding,
  )
  return {
    status,
    headers: { 'content-type': `text/xml;charset=${encoding === 'UTF-8' ? 'utf-8' : 'ISO-8859-1'}`, ...options.headers },
    body: options.latin1 ? encodeLatin1(xml) : Buffer.from(xml, 'utf8'),
    error: { api: 'soap', faultstring, detail, status },
  }
}

export function soapOk(xml: string): PeerResponse {
  return { status: 200, headers: { 'content-type': 'text/xml;charset=utf-8' }, body: Buffer.from(soapEnvelope(xml), 'utf8') }
}

/** Luhn check digit for a digit string (ICCID E.118 and IMEI both use it). */
export function luhnDigit(digits: string): number {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return (10 - (sum % 10)) % 10
}

export function luhnValid(digits: string): boolean {
  return luhnDigit(digits.slice(0, -1)) === Number(digits.at(-1))
}
