/**
 * Orange M2M ("Malima") operations on the peer, written from docs/wire/orange.md §4 and the Orange M2M SDK's WSDLs and
 * schemas (ConnectivityDirectory_V1_13, SimLifecycleManagement_V1_4, deviceInfoV1_2): getConnectivityDirectory,
 * searchInConnectivityDirectory, submitUpdateSimStatusRequest, getUpdateSimStatusResult, submitSimSupLoc,
 * getSimReport. Answers are SOAP 1.1; typed faults travel in `detail` with HTTP 500.
 */
import { buildXml, child, childText, el, parseXml, type XmlElement, type XmlNode } from '../../../src-main/core/carriers/xml-dom'
import { SOAP_ENV_NS, type PeerResponse } from '../control-center/wire-format'
import { REQUESTABLE, SIM_STATUSES, type Line, type Requestable } from './lines'
import { NS, OPERATIONS, checkSequence } from './schema'
import { TicketDesk, type Ticket, type TicketLine } from './tickets'

export interface PeerState {
  lines: Line[]
  desk: TicketDesk
  now: () => number
  /** [I] Orange does not publish its limits; these are the peer's. */
  maxLinesPerRequest: number
  maxRangeSize: number
  maxSearchResults: number
}

export type FaultName = 'MalimaError' | 'TooManyLineIdentifiersError' | 'UnknownTicketError' | 'ResultAlreadyRetrievedError' | 'TelcoISError' | 'InvalidParameterError'

/**
 * The faults each operation declares in the SDK's WSDLs. TelcoISError is declared in exceptions.xsd and named in
 * §4 but bound to none of these operations; [I] the peer lets a test inject it anywhere outside DeviceInfo (whose
 * schema has no such element), as an Orange back-end failure would surface.
 */
export const DECLARED_FAULTS: Record<string, FaultName[]> = {
  getConnectivityDirectory: ['MalimaError', 'TooManyLineIdentifiersError', 'TelcoISError'],
  searchInConnectivityDirectory: ['MalimaError', 'TelcoISError'],
  submitUpdateSimStatusRequest: ['MalimaError', 'TooManyLineIdentifiersError', 'InvalidParameterError', 'TelcoISError'],
  getUpdateSimStatusResult: ['MalimaError', 'UnknownTicketError', 'ResultAlreadyRetrievedError', 'TelcoISError'],
  submitSimSupLoc: ['MalimaError', 'TooManyLineIdentifiersError'],
  getSimReport: ['MalimaError', 'UnknownTicketError', 'ResultAlreadyRetrievedError'],
}

class Fault extends Error {
  constructor(
    readonly detail: XmlElement,
    text: string,
    readonly faultcode: 'soap:Server' | 'soap:Client' = 'soap:Server',
  ) {
    super(text)
  }
}

const PREFIXES = { soap: SOAP_ENV_NS, ns2: NS.ws, ns3: NS.common, ns4: NS.cd, ns5: NS.slm, ns6: NS.dis }

/** [I] Orange France's servers print local time; the peer prints a fixed +01:00 offset so clients must honour it. */
export function xsDateTime(ms: number): string {
  return new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00')
}

function envelope(content: XmlElement, status = 200): PeerResponse {
  const xml = buildXml(el(SOAP_ENV_NS, 'Envelope', [el(SOAP_ENV_NS, 'Body', [content])]), PREFIXES)
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(xml, 'utf8') }
}

export function faultResponse(fault: Fault, status = 500): PeerResponse {
  return envelope(el(SOAP_ENV_NS, 'Fault', [el(null, 'faultcode', fault.faultcode), el(null, 'faultstring', fault.message), el(null, 'detail', [fault.detail])]), status)
}

/** The faults as the schemas declare them: exceptions.xsd (children unqualified) or deviceInfo.xsd (qualified). */
export function makeFault(name: FaultName, service: string, values: { code?: string; message?: string; number?: number; date?: number } = {}): Fault {
  const dis = service === '/DeviceInfo-1'
  const ns = dis ? NS.dis : NS.ex
  const inner = dis ? NS.dis : null
  const message = values.message ?? DEFAULT_TEXT[name]
  const body: Record<FaultName, XmlElement[]> = {
    MalimaError: [el(inner, 'code', values.code ?? 'MLM-500'), el(inner, 'message', message)],
    TooManyLineIdentifiersError: [el(inner, 'maxAllowedLineIdentifiersNumber', String(values.number ?? 100))],
    UnknownTicketError: [el(inner, 'ticketNumber', String(values.number ?? 0))],
    ResultAlreadyRetrievedError: [el(inner, 'retrievalDate', xsDateTime(values.date ?? 0))],
    TelcoISError: [...(values.code ? [el(inner, 'code', values.code)] : []), el(inner, 'message', message)],
    InvalidParameterError: [el(inner, 'message', message)],
  }
  return new Fault(el(ns, name, body[name]), message)
}

const DEFAULT_TEXT: Record<FaultName, string> = {
  MalimaError: 'Internal error',
  TooManyLineIdentifiersError: 'Too many line identifiers',
  UnknownTicketError: 'Unknown ticket',
  ResultAlreadyRetrievedError: 'Result already retrieved',
  TelcoISError: 'Telco information system unavailable',
  InvalidParameterError: 'Invalid parameter',
}

export const clientFault = (text: string): PeerResponse => faultResponse(new Fault(el(null, 'message', text), text, 'soap:Client'))

export interface ParsedRequest {
  operation: string
  body: XmlNode
}

/** Envelope and operation checks; returns the operation element, or the fault a SOAP stack answers. */
export function readRequest(path: string, xml: string): ParsedRequest | PeerResponse {
  const doc = parseXml(xml)
  if (!doc) return clientFault('Unmarshalling Error: the request is not well-formed XML')
  if (doc.local !== 'Envelope' || doc.ns !== SOAP_ENV_NS) {
    return doc.local === 'Envelope' ? faultResponse(new Fault(el(null, 'message', 'VersionMismatch'), 'Only SOAP 1.1 is supported', 'soap:Client')) : clientFault('Not a SOAP envelope')
  }
  const kids = child(doc, SOAP_ENV_NS, 'Body')?.children ?? []
  const body = kids[0]
  const known = OPERATIONS[path] ?? {}
  if (!body || kids.length !== 1 || body.ns !== NS.ws || !(body.local in known)) {
    return clientFault(
      `Unexpected wrapper element ${body ? `{${body.ns ?? ''}}${body.local}` : '(none)'} found. Expected ${Object.keys(known)
        .map((k) => `{${NS.ws}}${k}`)
        .join(' or ')}.`,
    )
  }
  const problem = checkSequence(body, known[body.local]!, body.local)
  if (problem) return clientFault(`Unmarshalling Error: ${problem}`)
  return { operation: body.local, body }
}

type Identifier = { kind: string; value: string }

function identifiers(collection: XmlNode | undefined): Identifier[] {
  return (collection?.children ?? []).map((c) => ({
    kind: c.local,
    value: c.local.startsWith('msisdn') ? `${c.children.find((x) => x.local === 'cc')?.text ?? ''}${c.children.find((x) => x.local === 'sn')?.text ?? ''}` : c.text,
  }))
}

function find(state: PeerState, id: Identifier): Line | undefined {
  switch (id.kind) {
    case 'simSerialNumber':
      return state.lines.find((l) => l.serialNumber === id.value)
    case 'subscriptionNumber':
      return state.lines.find((l) => l.subscription === id.value)
    case 'msisdnData':
      return state.lines.find((l) => `${l.msisdn.cc}${l.msisdn.sn}` === id.value)
    default:
      // [I] The seeded lines carry no device, machine, voice or fax data: such identifiers name no line.
      return undefined
  }
}

function identifierElement(ns: string, id: Identifier): XmlElement {
  if (id.kind.startsWith('msisdn')) return el(ns, id.kind, [el(ns, 'cc', id.value.slice(0, 2)), el(ns, 'sn', id.value.slice(2))])
  return el(ns, id.kind, id.value)
}

/**
 * A line identifier collection: the container in the declaring schema's namespace, the identifiers in the namespace
 * of the collection type (common.xsd, or deviceInfo.xsd's own). A collection holds one kind (a choice); the peer
 * only lists identifiers of the kind it was given.
 */
function collection(containerNs: string, name: string, identifierNs: string, ids: Identifier[]): XmlElement[] {
  return ids.length === 0
    ? []
    : [
        el(
          containerNs,
          name,
          ids.map((id) => identifierElement(identifierNs, id)),
        ),
      ]
}

const bool = (v: string | undefined) => v === 'true' || v === '1'

function tooMany(state: PeerState, service: string, count: number): void {
  if (count > state.maxLinesPerRequest) throw makeFault('TooManyLineIdentifiersError', service, { number: state.maxLinesPerRequest })
}

function directoryEntry(line: Line, show: { imsi: boolean; iccid: boolean }): XmlElement {
  const sim: XmlElement[] = [
    el(NS.common, 'serialNumber', line.serialNumber),
    el(NS.common, 'status', line.status),
    ...(line.suspensionReason ? [el(NS.common, 'suspensionReason', line.suspensionReason)] : []),
    el(NS.common, 'lastStatusRefreshDate', xsDateTime(line.lastStatusRefresh)),
    el(NS.common, 'lastStatusChangeDate', xsDateTime(line.lastStatusChange)),
    ...(line.requestedStatus ? [el(NS.common, 'requestedStatus', line.requestedStatus), el(NS.common, 'statusChangeRequestDate', xsDateTime(line.statusChangeRequest!))] : []),
  ]
  const subscription: XmlElement[] = [
    el(NS.common, 'identifier', line.subscription),
    el(NS.common, 'creationDate', xsDateTime(line.subscriptionCreated)),
    ...(line.subscriptionConnected !== null ? [el(NS.common, 'connectionDate', xsDateTime(line.subscriptionConnected))] : []),
    el(NS.common, 'msisdnData', [el(NS.common, 'cc', line.msisdn.cc), el(NS.common, 'sn', line.msisdn.sn)]),
  ]
  return el(NS.cd, 'connectivityDirectory', [
    el(NS.cd, 'customerEnvironmentIdentifier', line.customerEnvironment),
    ...(show.imsi ? [el(NS.cd, 'imsi', line.imsi)] : []),
    ...(show.iccid ? [el(NS.cd, 'iccid', line.iccid)] : []),
    el(NS.cd, 'sim', sim),
    el(NS.cd, 'subscription', subscription),
    // [I] The directory carries the line's last geolocation when Orange has one.
    ...(line.position
      ? [
          el(NS.cd, 'geographicPosition', [
            el(NS.cd, 'latitude', line.position.latitude.toFixed(6)),
            el(NS.cd, 'longitude', line.position.longitude.toFixed(6)),
            el(NS.cd, 'lastGeolocDate', xsDateTime(line.position.at)),
            el(NS.cd, 'accuracy', [el(NS.cd, 'value', String(line.position.accuracyMeters)), el(NS.cd, 'unit', 'm')]),
          ]),
        ]
      : []),
  ])
}

function getConnectivityDirectory(state: PeerState, body: XmlNode, service: string): XmlElement {
  const show = { imsi: bool(childText(body, NS.cd, 'showImsi')), iccid: bool(childText(body, NS.cd, 'showIccid')) }
  const ids = identifiers(child(body, NS.cd, 'lineIdentifiers'))
  const imsis = body.children.filter((c) => c.ns === NS.cd && c.local === 'imsi').map((c) => c.text)
  tooMany(state, service, ids.length + imsis.length)
  const found: Line[] = []
  const unknown: Identifier[] = []
  for (const id of ids) {
    const line = find(state, id)
    if (line) found.push(line)
    else unknown.push(id)
  }
  const unknownImsi: string[] = []
  for (const imsi of imsis) {
    const line = state.lines.find((l) => l.imsi === imsi)
    if (line) found.push(line)
    else unknownImsi.push(imsi)
  }
  return el(NS.ws, 'getConnectivityDirectoryResponse', [
    ...found.map((l) => directoryEntry(l, show)),
    ...collection(NS.cd, 'unknownLinesIdentifiers', NS.common, unknown),
    ...(unknownImsi.length > 0
      ? [
          el(
            NS.cd,
            'unknownImsi',
            unknownImsi.map((i) => el(NS.cd, 'imsi', i)),
          ),
        ]
      : []),
  ])
}

const SORT_KEYS: Record<string, (l: Line) => string | number> = {
  SIM_STATUS: (l) => l.status,
  STATUS_CHANGE_DATE: (l) => l.lastStatusChange,
  SIM_SSN: (l) => l.serialNumber,
  SUB_CONNECTION_DATE: (l) => l.subscriptionConnected ?? 0,
  SUB_CREATION_DATE: (l) => l.subscriptionCreated,
  // [I] No contact or device data is seeded: these sort every line as equal.
  CONTACT: () => '',
  DEVICE_UNIQUE_IDENTIFIER: () => '',
}

function searchInConnectivityDirectory(state: PeerState, body: XmlNode, service: string): XmlElement {
  const c = child(body, NS.cd, 'searchCriterion')
  const rangeSize = Number(childText(body, NS.cd, 'rangeSize') ?? state.maxRangeSize)
  const rangeStart = Number(childText(body, NS.cd, 'rangeStart') ?? 0)
  // [I] The schema allows any int; out-of-range paging is refused with Orange's generic fault (the only client fault
  // the operation declares), and so is a value that is not an xs:int at all (it would otherwise page from NaN).
  if (!Number.isInteger(rangeSize) || !Number.isInteger(rangeStart)) throw makeFault('MalimaError', service, { code: 'MLM-400', message: 'rangeSize and rangeStart must be integers' })
  if (rangeSize < 1 || rangeSize > state.maxRangeSize) throw makeFault('MalimaError', service, { code: 'MLM-400', message: `rangeSize must be between 1 and ${state.maxRangeSize}` })
  if (rangeStart < 0) throw makeFault('MalimaError', service, { code: 'MLM-400', message: 'rangeStart must not be negative' })
  const statuses = (c?.children ?? []).filter((x) => x.ns === NS.cd && x.local === 'simStatus').map((x) => x.text)
  const date = (name: string) => {
    const v = childText(c, NS.cd, name)
    if (v === undefined) return null
    // docs/wire/orange.md §4.3 criteria are xs:dateTime: [I] one that does not parse is refused (MalimaError, as above), never matched against nothing.
    const ms = Date.parse(v)
    if (Number.isNaN(ms)) throw makeFault('MalimaError', service, { code: 'MLM-400', message: `${name} is not a date-time` })
    return ms
  }
  const changeMin = date('simStatusChangeMinDate')
  const changeMax = date('simStatusChangeMaxDate')
  const refreshMin = date('simStatusRefreshMinDate')
  const refreshMax = date('simStatusRefreshMaxDate')
  const serial = childText(c, NS.cd, 'simSerialNumber')
  const imsi = childText(c, NS.cd, 'imsi')
  const requested = childText(c, NS.cd, 'requestedSimStatus')
  const msisdnData = child(c, NS.cd, 'msisdnData')
  const subscription = childText(c, NS.cd, 'subcriptionIdentifier')
  const deviceCriteria = (c?.children ?? []).some((x) => x.ns === NS.cd && /^(device|communicationModule|machine|msisdnVoice|msisdnFax|user)/.test(x.local))
  const matches = state.lines.filter(
    (l) =>
      !deviceCriteria &&
      (serial === undefined || l.serialNumber === serial) &&
      (imsi === undefined || l.imsi === imsi) &&
      (subscription === undefined || l.subscription === subscription) &&
      (requested === undefined || l.requestedStatus === requested) &&
      (msisdnData === undefined || `${childText(msisdnData, NS.common, 'cc')}${childText(msisdnData, NS.common, 'sn')}` === `${l.msisdn.cc}${l.msisdn.sn}`) &&
      (statuses.length === 0 || statuses.includes(l.status)) &&
      (changeMin === null || l.lastStatusChange >= changeMin) &&
      (changeMax === null || l.lastStatusChange <= changeMax) &&
      (refreshMin === null || l.lastStatusRefresh >= refreshMin) &&
      (refreshMax === null || l.lastStatusRefresh <= refreshMax),
  )
  const sorts = body.children
    .filter((x) => x.ns === NS.cd && x.local === 'sortCriterion')
    .map((s) => ({ key: SORT_KEYS[childText(s, NS.cd, 'attribute')!]!, desc: childText(s, NS.cd, 'order') === 'DESC' }))
  // [I] Without a sort criterion the peer lists by serial number, ascending; every sort ends on it so pages are stable.
  const ordered = [...matches].sort((a, b) => {
    for (const s of [...sorts, { key: SORT_KEYS.SIM_SSN!, desc: false }]) {
      const x = s.key(a)
      const y = s.key(b)
      if (x !== y) return (x < y ? -1 : 1) * (s.desc ? -1 : 1)
    }
    return 0
  })
  // [I] Orange lists at most maxSearchResults lines of a search and says so with resultsNumberExceeded.
  const listable = ordered.slice(0, state.maxSearchResults)
  const page = listable.slice(rangeStart, rangeStart + rangeSize)
  const distribution = bool(childText(body, NS.cd, 'showStatSimPerSimStatus'))
    ? [
        el(
          NS.cd,
          'simStatusDistribution',
          SIM_STATUSES.map((s) => el(NS.cd, 'totalSimStatusNumber', String(matches.filter((l) => l.status === s).length), { status: s })),
        ),
      ]
    : []
  return el(NS.ws, 'searchInConnectivityDirectoryResponse', [
    ...page.map((l) => directoryEntry(l, { imsi: bool(childText(body, NS.cd, 'showImsi')), iccid: false })),
    ...distribution,
    el(NS.cd, 'resultsNumberExceeded', String(ordered.length > state.maxSearchResults)),
    el(NS.cd, 'totalResultsNumber', String(ordered.length)),
  ])
}

function resolve(state: PeerState, ids: Identifier[]): { found: { identifier: Identifier; line: Line }[]; unknown: Identifier[] } {
  const found: { identifier: Identifier; line: Line }[] = []
  const unknown: Identifier[] = []
  for (const identifier of ids) {
    const line = find(state, identifier)
    if (line) found.push({ identifier, line })
    else unknown.push(identifier)
  }
  return { found, unknown }
}

function submitUpdateSimStatusRequest(state: PeerState, body: XmlNode, service: string): XmlElement {
  const ids = identifiers(child(body, NS.slm, 'lineIdentifiers'))
  tooMany(state, service, ids.length)
  const requested = childText(body, NS.slm, 'requestedStatus') as Requestable
  const testMode = childText(body, NS.slm, 'testMode') ?? null
  // [I] A test zone only means something for a test activation.
  if (testMode !== null && requested !== 'ACTIVATED_FOR_TEST') throw makeFault('InvalidParameterError', service, { message: `testMode is only accepted with requestedStatus ACTIVATED_FOR_TEST` })
  const { found, unknown } = resolve(state, ids)
  // [I] No known line, no ticket: the answer only lists the unknown identifiers (ticketNumber is optional).
  const ticket = found.length > 0 ? state.desk.submit('slm', state.now(), found, unknown, requested, testMode) : null
  return el(NS.ws, 'submitUpdateSimStatusRequestResponse', [
    ...(ticket ? [el(NS.slm, 'ticketNumber', String(ticket.number))] : []),
    ...collection(NS.slm, 'unknownLineIdentifiers', NS.common, unknown),
  ])
}

/** A final result is handed out once (exceptions.xsd ResultAlreadyRetrievedError). [I] Progress can be read at will. */
function takeTicket(state: PeerState, service: string, which: 'slm' | 'dis', ns: string, body: XmlNode): Ticket {
  const number = Number(childText(body, ns, 'ticketNumber'))
  const ticket = state.desk.get(which, number)
  if (!ticket) throw makeFault('UnknownTicketError', service, { number })
  if (ticket.finishedAt !== null) {
    if (ticket.retrievedAt !== null) throw makeFault('ResultAlreadyRetrievedError', service, { date: ticket.retrievedAt })
    ticket.retrievedAt = state.now()
  }
  return ticket
}

function taskFields(ns: string, identifierNs: string, l: TicketLine, progress: string): XmlElement[] {
  return [
    el(ns, 'inputLineIdentifier', [identifierElement(identifierNs, l.identifier)]),
    el(ns, 'processingStatus', l.state),
    ...(l.state === 'WORK_IN_PROGRESS' ? [el(ns, 'progressMessage', progress)] : []),
    ...(l.state === 'ERROR' ? [el(ns, 'errorCode', l.errorCode ?? ''), el(ns, 'errorMessage', l.errorMessage ?? ''), el(ns, 'errorDate', xsDateTime(l.errorDate ?? 0))] : []),
    ...(l.updateDate !== null ? [el(ns, 'updateDate', xsDateTime(l.updateDate))] : []),
  ]
}

function globalError(ns: string, ticket: Ticket): XmlElement[] {
  if (TicketDesk.state(ticket) !== 'ERROR') return []
  const failed = ticket.lines.filter((l) => l.state === 'ERROR').length
  // [I] The global error names how many lines failed; each line carries its own code.
  return [el(ns, 'errorCode', 'LINES_IN_ERROR'), el(ns, 'errorMessage', `${failed} of ${ticket.lines.length} lines in error`)]
}

function getUpdateSimStatusResult(state: PeerState, body: XmlNode, service: string): XmlElement {
  const ticket = takeTicket(state, service, 'slm', NS.slm, body)
  return el(NS.ws, 'getUpdateSimStatusResultResponse', [
    el(NS.slm, 'globalProcessingStatus', TicketDesk.state(ticket)),
    ...globalError(NS.slm, ticket),
    el(NS.slm, 'requestedStatus', ticket.requestedStatus ?? REQUESTABLE[0]),
    ...(ticket.testMode ? [el(NS.slm, 'testMode', ticket.testMode)] : []),
    ...ticket.lines.map((l) => el(NS.slm, 'statusUpdate', taskFields(NS.slm, NS.common, l, 'Status change in progress'))),
    ...collection(NS.slm, 'unknownLineIdentifiers', NS.common, ticket.unknown),
  ])
}

function submitSimSupLoc(state: PeerState, body: XmlNode, service: string): XmlElement {
  const ids = identifiers(child(body, NS.dis, 'lineIdentifiers'))
  tooMany(state, service, ids.length)
  const { found, unknown } = resolve(state, ids)
  // [I] A cancelled SIM cannot be supervised: it is refused before a ticket is made.
  const refused = found.filter((f) => f.line.status === 'CANCELLED')
  const accepted = found.filter((f) => f.line.status !== 'CANCELLED')
  const ticket = accepted.length > 0 ? state.desk.submit('dis', state.now(), accepted, unknown, null, null) : null
  return el(NS.ws, 'submitSimSupLocResponse', [
    ...(ticket ? [el(NS.dis, 'ticketNumber', String(ticket.number))] : []),
    ...collection(NS.dis, 'unknownLineIdentifiers', NS.dis, unknown),
    ...refused.map((r) =>
      el(NS.dis, 'validationError', [el(NS.dis, 'lineIdentifiers', [identifierElement(NS.dis, r.identifier)]), el(NS.dis, 'error', 'The SIM is cancelled', { code: 'SIM_CANCELLED' })]),
    ),
  ])
}

function position(name: string, p: NonNullable<Line['position']>, at: number): XmlElement {
  return el(NS.dis, name, [
    el(NS.dis, 'latitude', p.latitude.toFixed(6)),
    el(NS.dis, 'longitude', p.longitude.toFixed(6)),
    el(NS.dis, 'timeStamp', xsDateTime(at)),
    el(NS.dis, 'accuracy', [el(NS.dis, 'value', String(p.accuracyMeters)), el(NS.dis, 'unit', 'm')]),
  ])
}

function reportLine(l: TicketLine): XmlElement {
  const fields = taskFields(NS.dis, NS.dis, l, 'Supervision in progress')
  const line = l.line!
  if (l.state !== 'TERMINATED') return el(NS.dis, 'line', fields)
  // [I] Only an attached SIM is located now; a detached one gives its last known position, if any.
  const attached = (line.status === 'ACTIVATED' || line.status === 'ACTIVATED_FOR_TEST') && line.cell !== null
  const supervision = el(NS.dis, 'supervision', [
    el(NS.dis, 'connectivity', String(attached)),
    ...(attached && line.ip ? [el(NS.dis, 'ip', line.ip), el(NS.dis, 'sessionTime', xsDateTime(l.updateDate! - 600_000))] : []),
  ])
  const geo: XmlElement[] = []
  if (attached) {
    geo.push(el(NS.dis, 'roaming', String(line.roaming)))
    geo.push(
      el(NS.dis, 'cellId', [
        el(NS.dis, 'mcc', String(line.cell!.mcc)),
        el(NS.dis, 'mnc', String(line.cell!.mnc)),
        el(NS.dis, 'lac', String(line.cell!.lac)),
        el(NS.dis, 'cellId', String(line.cell!.cellId)),
      ]),
    )
    if (line.position) geo.push(position('geographicPosition', line.position, l.updateDate!))
  } else if (line.position) {
    geo.push(position('lastKnownGeographicPosition', line.position, line.position.at))
  }
  return el(NS.dis, 'line', [...fields, supervision, ...(geo.length > 0 ? [el(NS.dis, 'geolocation', geo)] : [])])
}

function getSimReport(state: PeerState, body: XmlNode, service: string): XmlElement {
  const ticket = takeTicket(state, service, 'dis', NS.dis, body)
  return el(NS.ws, 'getSimReportResponse', [
    el(NS.dis, 'globalProcessingStatus', TicketDesk.state(ticket)),
    ...globalError(NS.dis, ticket),
    ...collection(NS.dis, 'unknownLineIdentifiers', NS.dis, ticket.unknown),
    ...ticket.lines.map(reportLine),
  ])
}

const HANDLERS: Record<string, (state: PeerState, body: XmlNode, service: string) => XmlElement> = {
  getConnectivityDirectory,
  searchInConnectivityDirectory,
  submitUpdateSimStatusRequest,
  getUpdateSimStatusResult,
  submitSimSupLoc,
  getSimReport,
}

/** Runs a checked request; typed faults become SOAP faults with HTTP 500. */
export function runOperation(state: PeerState, service: string, request: ParsedRequest): PeerResponse {
  state.desk.settle(state.now())
  try {
    return envelope(HANDLERS[request.operation]!(state, request.body, service))
  } catch (e) {
    if (e instanceof Fault) return faultResponse(e)
    throw e
  }
}
