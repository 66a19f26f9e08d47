/**
 * Orange M2M ("Malima") SOAP 1.1 document/literal envelopes (docs/wire/orange.md §4). The namespaces are those of the
 * Orange M2M SDK's WSDLs and schemas: the operation elements are in the web-service namespace; each service's
 * schema (elementFormDefault="qualified") puts the elements it declares in its own types namespace, so a request
 * mixes them: `<ws:getConnectivityDirectory><cd:lineIdentifiers><cm:simSerialNumber>`.
 */
import { buildXml, child, el, parseXml, type XmlElement, type XmlNode } from '../xml-dom'

export const NS = {
  soapenv: 'http://schemas.xmlsoap.org/soap/envelope/',
  /** Operation and response elements of every service (the WSDLs' targetNamespace). */
  ws: 'http://webservice.malima.francetelecom.com/v1',
  /** common.xsd: line identifiers, Sim, Subscription, Device… */
  common: 'http://common.types.malima.francetelecom.com',
  /** connectivityDirectory.xsd */
  cd: 'http://connectivityDirectory.types.malima.francetelecom.com',
  /** simLifecycleManagement.xsd */
  slm: 'http://simLifecycleManagement.types.malima.francetelecom.com',
  /** deviceInfo.xsd: DeviceInfo declares its own line identifiers and faults in this namespace. */
  dis: 'http://deviceInfo.types.malima.francetelecom.com',
  /** exceptions.xsd: the faults of ConnectivityDirectory and SimLifecycleManagement (children unqualified). */
  ex: 'http://exception.malima.francetelecom.com',
} as const

/** The services' endpoints below the base URL (the SDK's m2m.ini). */
export const SERVICE_PATHS = {
  connectivityDirectory: '/ConnectivityDirectory-1',
  simLifecycleManagement: '/SimLifecycleManagement-1',
  deviceInfo: '/DeviceInfo-1',
} as const
export type OrangeService = keyof typeof SERVICE_PATHS

const PREFIXES = { soapenv: NS.soapenv, ws: NS.ws, cm: NS.common, cd: NS.cd, slm: NS.slm, dis: NS.dis }

/** A request envelope around one operation element (no SOAP header: the credentials travel as HTTP Basic). */
export function buildEnvelope(operation: XmlElement): string {
  return buildXml(el(NS.soapenv, 'Envelope', [el(NS.soapenv, 'Body', [operation])]), PREFIXES)
}

export interface SoapFault {
  /** `faultcode` as written (e.g. `soap:Server`). */
  faultCode: string
  faultString: string
  /** The first element inside `detail`, where the service's typed fault travels. */
  detail: XmlNode | undefined
}

export type SoapAnswer = { kind: 'result'; body: XmlNode } | { kind: 'fault'; fault: SoapFault } | { kind: 'unreadable' }

/** Reads `<ws:{operation}Response>` or a Fault out of a SOAP 1.1 envelope; anything else is `unreadable`. */
export function readEnvelope(xml: string, operation: string): SoapAnswer {
  const envelope = parseXml(xml)
  if (!envelope || envelope.ns !== NS.soapenv || envelope.local !== 'Envelope') return { kind: 'unreadable' }
  const body = child(envelope, NS.soapenv, 'Body')
  const fault = child(body, NS.soapenv, 'Fault')
  if (fault) {
    // SOAP 1.1 §4.4: faultcode, faultstring and detail are unqualified.
    return {
      kind: 'fault',
      fault: {
        faultCode: child(fault, null, 'faultcode')?.text ?? '',
        faultString: child(fault, null, 'faultstring')?.text ?? '',
        detail: child(fault, null, 'detail')?.children[0],
      },
    }
  }
  const result = child(body, NS.ws, `${operation}Response`)
  return result ? { kind: 'result', body: result } : { kind: 'unreadable' }
}
