/**
 * The legacy Control Center SOAP API (docs/wire/control-center.md §2): only what the REST API cannot do, i.e. usage of
 * closed cycles older than the last three (Billing GetTerminalUsage).
 */
// fast-xml-parser builds (escaping every value) and parses the envelopes; a WSDL toolchain would be far heavier
// for the one operation used.
import { randomUUID } from 'node:crypto'
import { XMLBuilder, XMLParser } from 'fast-xml-parser'

export const JASPER_NS = 'http://api.jasperwireless.com/ws/schema'
const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText'

/** The request `version` element; Control Center echoes it and the published samples send 1.0. */
export const SOAP_REQUEST_VERSION = '1.0'

export interface SoapCredentials {
  username: string
  password: string
  licenseKey: string
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' })

/**
 * parseTagValue off: every value stays the text it was, so an ICCID keeps its digits (a number would lose them)
 * and volumes are converted where their unit is known.
 */
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true })

/**
 * A document/literal request: WS-Security UsernameToken with the user's GUI password as PasswordText, and the
 * body's messageId / version / licenseKey that every Control Center operation expects (§2.1).
 */
export function buildSoapRequest(operation: string, fields: Record<string, string>, credentials: SoapCredentials): { xml: string; messageId: string } {
  const messageId = randomUUID()
  const body: Record<string, string> = {
    'jws:messageId': messageId,
    'jws:version': SOAP_REQUEST_VERSION,
    'jws:licenseKey': credentials.licenseKey,
  }
  for (const [name, value] of Object.entries(fields)) body[`jws:${name}`] = value
  const envelope = {
    'soapenv:Envelope': {
      '@_xmlns:soapenv': SOAP_ENV_NS,
      '@_xmlns:jws': JASPER_NS,
      'soapenv:Header': {
        'wsse:Security': {
          '@_soapenv:mustUnderstand': '1',
          '@_xmlns:wsse': WSSE_NS,
          '@_xmlns:wsu': WSU_NS,
          'wsse:UsernameToken': {
            'wsse:Username': credentials.username,
            'wsse:Password': { '@_Type': PASSWORD_TEXT, '#text': credentials.password },
          },
        },
      },
      'soapenv:Body': { [`jws:${operation}Request`]: body },
    },
  }
  return { xml: `<?xml version="1.0" encoding="UTF-8"?>${builder.build(envelope) as string}`, messageId }
}

export type SoapAnswer = { kind: 'result'; value: Record<string, unknown> } | { kind: 'fault'; faultCode: string; detail: string | null } | { kind: 'unreadable' }

/** Reads `<OperationResponse>` or a Fault out of an envelope; anything else is `unreadable`. */
export function parseSoapResponse(xml: string, operation: string): SoapAnswer {
  // SOAP 1.1 §3 forbids a DTD in a message; refusing one also rules out entity-expansion tricks in the parser.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { kind: 'unreadable' }
  let doc: unknown
  try {
    doc = parser.parse(xml)
  } catch {
    return { kind: 'unreadable' }
  }
  const body = child(child(doc, 'Envelope'), 'Body')
  const fault = child(body, 'Fault')
  if (fault !== undefined) {
    const faultString = textOf(child(fault, 'faultstring')).trim()
    const detail = textOf(child(fault, 'detail')).replace(/\s+/g, ' ').trim()
    return { kind: 'fault', faultCode: faultString, detail: detail || null }
  }
  const result = child(body, `${operation}Response`)
  if (result === undefined || typeof result !== 'object' || result === null) return { kind: 'unreadable' }
  return { kind: 'result', value: result as Record<string, unknown> }
}

function child(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined
  return (node as Record<string, unknown>)[name]
}

/** All text below a node, in document order (fault details nest their message one or two levels down). */
function textOf(node: unknown): string {
  if (typeof node === 'string') return node
  if (typeof node === 'number' || typeof node === 'boolean') return String(node)
  if (Array.isArray(node)) return node.map(textOf).join(' ')
  if (typeof node === 'object' && node !== null) return Object.values(node).map(textOf).join(' ')
  return ''
}
