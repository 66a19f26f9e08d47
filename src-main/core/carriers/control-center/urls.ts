import { withDefaultScheme } from '../../../../src-shared/models/transport-rules'
import { assertSecureUrl } from '../../http/secure-url'

export interface ControlCenterUrls {
  /** e.g. https://rws-jpotest.jasper.com/rws/api/v1 */
  rest: string
  /** e.g. https://rws-jpotest.jasper.com/ws/service (the service name, `billing`, is appended per call). */
  soap: string
}

/** A SOAP endpoint or WSDL path, and the prefix in front of it. */
const SOAP_PATH = /^(.*?)\/ws\/(?:service|schema)(?:\/.*)?$/

/**
 * Operators paste what their Control Center knowledge base gives them: a bare host (`restapi3.jasper.com`, the
 * IBM-era "domain ID"), or a full REST base (`https://api-iotdevice.att.com/rws/api/v1/`), sometimes a SOAP
 * endpoint or WSDL URL. Both bases are derived from whichever was given, keeping any path prefix in front of
 * `/rws` or `/ws` (a reverse proxy's). A bare host means https://.
 */
export function deriveControlCenterUrls(input: string, soapOverride?: string): ControlCenterUrls {
  const url = assertSecureUrl(withDefaultScheme(input.trim()))
  const path = url.pathname.replace(/\/+$/, '')
  const rest = /^(.*?)\/rws\/api\/(v\d+)(?:\/.*)?$/.exec(path)
  const soap = SOAP_PATH.exec(path)
  const prefix = rest?.[1] ?? soap?.[1] ?? path
  const restBase = `${url.origin}${prefix}/rws/api/${rest?.[2] ?? 'v1'}`
  const soapBase = soapOverride ? deriveSoapBase(soapOverride) : `${url.origin}${prefix}/ws/service`
  return { rest: restBase, soap: soapBase }
}

function deriveSoapBase(input: string): string {
  const url = assertSecureUrl(withDefaultScheme(input.trim()))
  const path = url.pathname.replace(/\/+$/, '')
  const soap = SOAP_PATH.exec(path)
  return `${url.origin}${soap?.[1] ?? path}/ws/service`
}
