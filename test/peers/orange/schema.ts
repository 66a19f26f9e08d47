/**
 * The request side of the Orange M2M SDK's schemas, as data: which element, in which namespace, how many times, of
 * which type, in which order. The peer checks every request against it before it acts, the way a schema-validating
 * SOAP stack does. [I] Whether Orange's stack validates is not documented; the peer does, so a client that sends
 * elements out of order or in the wrong namespace finds out here rather than in production.
 */
import type { XmlNode } from '../../../src-main/core/carriers/xml-dom'
import { REQUESTABLE, SIM_STATUSES, TEST_MODES } from './lines'

/** Written here from the SDK's WSDLs, not imported from the client: the peer is what checks the client's namespaces. */
export const NS = {
  ws: 'http://webservice.malima.francetelecom.com/v1',
  common: 'http://common.types.malima.francetelecom.com',
  cd: 'http://connectivityDirectory.types.malima.francetelecom.com',
  slm: 'http://simLifecycleManagement.types.malima.francetelecom.com',
  dis: 'http://deviceInfo.types.malima.francetelecom.com',
  ex: 'http://exception.malima.francetelecom.com',
} as const

type Simple = 'string' | 'boolean' | 'int' | 'dateTime' | readonly string[]
interface Field {
  ns: string
  name: string
  min: number
  max: number
  type: Simple | Particle[]
}
interface Choice {
  choice: Field[]
}
type Particle = Field | Choice

const f = (ns: string, name: string, type: Simple | Particle[], min = 0, max = 1): Field => ({ ns, name, type, min, max })
const UNBOUNDED = Number.POSITIVE_INFINITY

/** common.xsd `Msisdn` (cc, sn), in the namespace of the schema that declares it. */
const msisdn = (ns: string): Particle[] => [f(ns, 'cc', 'string', 1), f(ns, 'sn', 'string', 1)]

const IDENTIFIER_KINDS = ['subscriptionNumber', 'simSerialNumber', 'deviceImei', 'deviceSerialNumber', 'deviceUniqueId', 'machineSerialNumber'] as const

/** `LineIdentifierCollection`: one kind of identifier, repeated. */
export const lineIdentifiers = (ns: string): Particle[] => [
  {
    choice: [...IDENTIFIER_KINDS.map((k) => f(ns, k, 'string', 1, UNBOUNDED)), ...['msisdnVoice', 'msisdnData', 'msisdnFax'].map((k) => f(ns, k, msisdn(ns), 1, UNBOUNDED))],
  },
]

const SORT_ATTRIBUTES = ['SIM_STATUS', 'STATUS_CHANGE_DATE', 'SIM_SSN', 'CONTACT', 'DEVICE_UNIQUE_IDENTIFIER', 'SUB_CONNECTION_DATE', 'SUB_CREATION_DATE'] as const

const searchCriterion: Particle[] = [
  f(NS.cd, 'simSerialNumber', 'string'),
  f(NS.cd, 'simStatus', SIM_STATUSES, 0, UNBOUNDED),
  ...[
    'deviceCategory',
    'deviceUniqueId',
    'deviceSerialNumber',
    'deviceHolder',
    'deviceImei',
    'communicationModuleBrand',
    'communicationModuleModel',
    'machineSerialNumber',
    'machineName',
    'subcriptionIdentifier',
  ].map((n) => f(NS.cd, n, 'string')),
  f(NS.cd, 'msisdnData', msisdn(NS.common)),
  f(NS.cd, 'msisdnVoice', msisdn(NS.common)),
  f(NS.cd, 'msisdnFax', msisdn(NS.common)),
  f(NS.cd, 'imsi', 'string'),
  f(NS.cd, 'simStatusChangeMinDate', 'dateTime'),
  f(NS.cd, 'simStatusChangeMaxDate', 'dateTime'),
  f(NS.cd, 'simStatusRefreshMinDate', 'dateTime'),
  f(NS.cd, 'simStatusRefreshMaxDate', 'dateTime'),
  f(NS.cd, 'requestedSimStatus', 'string'),
  f(NS.cd, 'user', 'string'),
  f(NS.cd, 'userRef', 'string'),
]

/** Each operation's wrapper content, by service path. */
export const OPERATIONS: Record<string, Record<string, Particle[]>> = {
  '/ConnectivityDirectory-1': {
    getConnectivityDirectory: [
      { choice: [f(NS.cd, 'lineIdentifiers', lineIdentifiers(NS.common), 1), f(NS.cd, 'imsi', 'string', 1, UNBOUNDED)] },
      f(NS.cd, 'showHierarchyDetail', 'boolean'),
      f(NS.cd, 'showDeviceInfo', 'boolean'),
      f(NS.cd, 'showIccid', 'boolean'),
      f(NS.cd, 'showImsi', 'boolean'),
    ],
    searchInConnectivityDirectory: [
      f(NS.cd, 'searchCriterion', searchCriterion),
      f(NS.cd, 'showHierarchyDetail', 'boolean'),
      f(NS.cd, 'showStatSimPerSimStatus', 'boolean'),
      f(NS.cd, 'showDeviceInfo', 'boolean'),
      f(NS.cd, 'showImsi', 'boolean'),
      f(NS.cd, 'rangeSize', 'int'),
      f(NS.cd, 'rangeStart', 'int'),
      f(NS.cd, 'sortCriterion', [f(NS.cd, 'order', ['ASC', 'DESC'], 1), f(NS.cd, 'attribute', SORT_ATTRIBUTES, 1)], 0, 2),
    ],
  },
  '/SimLifecycleManagement-1': {
    submitUpdateSimStatusRequest: [f(NS.slm, 'lineIdentifiers', lineIdentifiers(NS.common), 1), f(NS.slm, 'requestedStatus', REQUESTABLE, 1), f(NS.slm, 'testMode', TEST_MODES)],
    getUpdateSimStatusResult: [f(NS.slm, 'ticketNumber', 'int', 1)],
  },
  '/DeviceInfo-1': {
    submitSimSupLoc: [f(NS.dis, 'lineIdentifiers', lineIdentifiers(NS.dis), 1)],
    getSimReport: [f(NS.dis, 'ticketNumber', 'int', 1)],
  },
}

const name = (n: { ns: string | null; local: string }) => `{${n.ns ?? ''}}${n.local}`

function checkSimple(node: XmlNode, type: Simple, path: string): string | null {
  if (node.children.length > 0) return `${path}: element content where ${Array.isArray(type) ? 'an enumeration' : type} was expected`
  const v = node.text
  if (Array.isArray(type)) return type.includes(v) ? null : `${path}: '${v}' is not a facet-valid value of the enumeration`
  if (type === 'boolean') return /^(true|false|1|0)$/.test(v) ? null : `${path}: '${v}' is not a valid value for 'boolean'`
  if (type === 'int') return /^[+-]?\d{1,10}$/.test(v) && Math.abs(Number(v)) <= 2_147_483_648 ? null : `${path}: '${v}' is not a valid value for 'int'`
  if (type === 'dateTime')
    return /^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(v) && !Number.isNaN(Date.parse(v)) ? null : `${path}: '${v}' is not a valid value for 'dateTime'`
  return null
}

/**
 * Checks `node`'s children against a sequence; returns the first problem in the words of a schema validator, or
 * null. Text in a complex element (other than whitespace) is refused too.
 */
export function checkSequence(node: XmlNode, particles: Particle[], path: string): string | null {
  if (node.text !== '') return `${path}: text content is not allowed here`
  const kids = node.children
  let i = 0
  const take = (field: Field): { count: number; error: string | null } => {
    let count = 0
    while (i < kids.length && kids[i]!.ns === field.ns && kids[i]!.local === field.name) {
      const kid = kids[i]!
      const error =
        Array.isArray(field.type) && typeof field.type[0] === 'object'
          ? checkSequence(kid, field.type as Particle[], `${path}/${field.name}`)
          : checkSimple(kid, field.type as Simple, `${path}/${field.name}`)
      if (error) return { count, error }
      i++
      count++
    }
    if (count > field.max) return { count, error: `${path}: too many ${name({ ns: field.ns, local: field.name })} (at most ${field.max})` }
    return { count, error: null }
  }
  for (const particle of particles) {
    if ('choice' in particle) {
      const next = kids[i]
      const field = next ? particle.choice.find((c) => c.ns === next.ns && c.name === next.local) : undefined
      if (!field) return `${path}: expected one of ${particle.choice.map((c) => name({ ns: c.ns, local: c.name })).join(', ')}${next ? `, found ${name(next)}` : ''}`
      const { count, error } = take(field)
      if (error) return error
      if (count < field.min) return `${path}: ${name({ ns: field.ns, local: field.name })} expected`
      continue
    }
    const { count, error } = take(particle)
    if (error) return error
    if (count < particle.min) return `${path}: ${name({ ns: particle.ns, local: particle.name })} expected${kids[i] ? `, found ${name(kids[i]!)}` : ''}`
  }
  if (i < kids.length) return `${path}: unexpected element ${name(kids[i]!)}`
  return null
}
