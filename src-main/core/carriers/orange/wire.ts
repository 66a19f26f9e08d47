/**
 * Readers for the Orange answers the client uses, element by element as the SDK's schemas declare them (namespace,
 * name, type, cardinality). A required element that is missing or a value that is not of its type is a WireError
 * naming the path; elements the client does not use are ignored, as a schema-evolving service may add some.
 */
import type { OrangeSimStatus, OrangeCell, OrangePosition } from '../../../../src-shared/models/sim'
import { ORANGE_SIM_STATUSES } from '../../../../src-shared/models/sim'
import { ORANGE_REQUESTABLE_STATUSES, ORANGE_TASK_STATES, ORANGE_TEST_MODES, ORANGE_TICKET_STATES } from '../../../../src-shared/models/orange'
import type { OrangeRequestableStatus, OrangeTestMode, OrangeTicketLine, OrangeTicketState } from '../../../../src-shared/models/orange'
import { parseCarrierDateTime } from '../sim-model'
import { attribute, child, childrenNamed, type XmlNode } from '../xml-dom'
import { NS } from './soap'

export class WireError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`)
  }
}

type Ns = string | null

function optional(node: XmlNode | undefined, ns: Ns, name: string): string | null {
  return child(node, ns, name)?.text ?? null
}

function required(node: XmlNode, ns: Ns, name: string, path: string): string {
  const found = child(node, ns, name)
  if (!found) throw new WireError(`${path}/${name}`, 'missing')
  return found.text
}

function int(value: string | null, path: string): number | null {
  if (value === null) return null
  // xs:int: optional sign, digits, 32-bit range.
  if (!/^[+-]?\d{1,10}$/.test(value) || Math.abs(Number(value)) > 2_147_483_648) throw new WireError(path, `not an int: ${value.slice(0, 30)}`)
  return Number(value)
}

function float(value: string | null, path: string): number | null {
  if (value === null) return null
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) throw new WireError(path, `not a float: ${value.slice(0, 30)}`)
  return Number(value)
}

function bool(value: string | null, path: string): boolean | null {
  if (value === null) return null
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new WireError(path, `not a boolean: ${value.slice(0, 30)}`)
}

function dateTime(value: string | null, path: string): string | null {
  if (value === null) return null
  const iso = parseCarrierDateTime(value)
  if (iso === undefined) throw new WireError(path, `not a dateTime: ${value.slice(0, 40)}`)
  return iso
}

function oneOf<T extends string>(values: readonly T[], value: string, path: string): T {
  if (!(values as readonly string[]).includes(value)) throw new WireError(path, `unexpected value ${value.slice(0, 40)}`)
  return value as T
}

/**
 * A line identifier collection (common.xsd, or DeviceInfo's own copy): the serial numbers it names. Other kinds of
 * identifier (never sent by Fieldline) are kept as `kind:value` so nothing Orange says is dropped.
 */
export function readLineIdentifiers(node: XmlNode | undefined, ns: string): string[] {
  if (!node) return []
  return node.children.filter((c) => c.ns === ns).map((c) => identifierText(c, ns))
}

function identifierText(node: XmlNode, ns: string): string {
  if (node.local === 'simSerialNumber') return node.text
  if (node.local.startsWith('msisdn')) return `${node.local}:${optional(node, ns, 'cc') ?? ''}${optional(node, ns, 'sn') ?? ''}`
  return `${node.local}:${node.text}`
}

/** A single line identifier (`LineIdentifier`, a choice of one element). */
function readLineIdentifier(node: XmlNode, ns: string, path: string): string {
  const first = node.children.find((c) => c.ns === ns)
  if (!first) throw new WireError(path, 'empty line identifier')
  return identifierText(first, ns)
}

export interface OrangeSimRecord {
  serialNumber: string | null
  imei: string | null
  status: OrangeSimStatus | null
  /** The status text as Orange wrote it, kept even when it is not one of the six known values. */
  statusRaw: string | null
  suspensionReason: string | null
  lastStatusRefreshDate: string | null
  lastStatusChangeDate: string | null
  requestedStatus: string | null
  statusChangeRequestDate: string | null
}

export interface OrangeLine {
  customerEnvironmentIdentifier: string
  imsi: string | null
  iccid: string | null
  sim: OrangeSimRecord | null
  subscription: { identifier: string; msisdnData: string | null }
  position: OrangePosition | null
}

/** common.xsd `Sim`: every element optional, all in the common namespace. */
function readSim(node: XmlNode, path: string): OrangeSimRecord {
  const p = `${path}/sim`
  const raw = optional(node, NS.common, 'status')
  return {
    serialNumber: optional(node, NS.common, 'serialNumber'),
    imei: optional(node, NS.common, 'imei'),
    status: raw !== null && (ORANGE_SIM_STATUSES as readonly string[]).includes(raw) ? (raw as OrangeSimStatus) : null,
    statusRaw: raw,
    suspensionReason: optional(node, NS.common, 'suspensionReason'),
    lastStatusRefreshDate: dateTime(optional(node, NS.common, 'lastStatusRefreshDate'), `${p}/lastStatusRefreshDate`),
    lastStatusChangeDate: dateTime(optional(node, NS.common, 'lastStatusChangeDate'), `${p}/lastStatusChangeDate`),
    requestedStatus: optional(node, NS.common, 'requestedStatus'),
    statusChangeRequestDate: dateTime(optional(node, NS.common, 'statusChangeRequestDate'), `${p}/statusChangeRequestDate`),
  }
}

function msisdn(node: XmlNode | undefined, ns: string): string | null {
  if (!node) return null
  return `${optional(node, ns, 'cc') ?? ''}${optional(node, ns, 'sn') ?? ''}` || null
}

/** connectivityDirectory.xsd `ConnectivityDirectory`. */
export function readConnectivityDirectory(node: XmlNode, path: string): OrangeLine {
  const sim = child(node, NS.cd, 'sim')
  const subscription = child(node, NS.cd, 'subscription')
  if (!subscription) throw new WireError(`${path}/subscription`, 'missing')
  const position = child(node, NS.cd, 'geographicPosition')
  return {
    customerEnvironmentIdentifier: required(node, NS.cd, 'customerEnvironmentIdentifier', path),
    imsi: optional(node, NS.cd, 'imsi'),
    iccid: optional(node, NS.cd, 'iccid'),
    sim: sim ? readSim(sim, path) : null,
    subscription: {
      identifier: required(subscription, NS.common, 'identifier', `${path}/subscription`),
      msisdnData: msisdn(child(subscription, NS.common, 'msisdnData'), NS.common),
    },
    position: position ? readPosition(position, NS.cd, 'lastGeolocDate', `${path}/geographicPosition`) : null,
  }
}

/** A geographic position: latitude, longitude, a date (named differently per service) and an accuracy, all required. */
function readPosition(node: XmlNode, ns: string, dateName: string, path: string): OrangePosition {
  const accuracy = child(node, ns, 'accuracy')
  if (!accuracy) throw new WireError(`${path}/accuracy`, 'missing')
  const latitude = float(required(node, ns, 'latitude', path), `${path}/latitude`)!
  const longitude = float(required(node, ns, 'longitude', path), `${path}/longitude`)!
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) throw new WireError(path, 'latitude or longitude out of range')
  return {
    latitude,
    longitude,
    at: dateTime(required(node, ns, dateName, path), `${path}/${dateName}`),
    accuracy: {
      value: int(required(accuracy, ns, 'value', `${path}/accuracy`), `${path}/accuracy/value`)!,
      unit: required(accuracy, ns, 'unit', `${path}/accuracy`),
    },
  }
}

export interface SearchAnswer {
  lines: OrangeLine[]
  totalResultsNumber: number
  resultsNumberExceeded: boolean
}

export function readSearchAnswer(body: XmlNode): SearchAnswer {
  const path = 'searchInConnectivityDirectoryResponse'
  return {
    lines: childrenNamed(body, NS.cd, 'connectivityDirectory').map((n, i) => readConnectivityDirectory(n, `${path}/connectivityDirectory[${i}]`)),
    resultsNumberExceeded: bool(required(body, NS.cd, 'resultsNumberExceeded', path), `${path}/resultsNumberExceeded`)!,
    totalResultsNumber: int(required(body, NS.cd, 'totalResultsNumber', path), `${path}/totalResultsNumber`)!,
  }
}

export function readDirectoryAnswer(body: XmlNode): { lines: OrangeLine[]; unknown: string[] } {
  const path = 'getConnectivityDirectoryResponse'
  return {
    lines: childrenNamed(body, NS.cd, 'connectivityDirectory').map((n, i) => readConnectivityDirectory(n, `${path}/connectivityDirectory[${i}]`)),
    unknown: readLineIdentifiers(child(body, NS.cd, 'unknownLinesIdentifiers'), NS.common),
  }
}

export interface SubmitAnswer {
  ticketNumber: number | null
  unknown: string[]
  /** DeviceInfo only: lines refused before a ticket was made, with Orange's code and text. */
  refused: { lines: string[]; code: string; message: string }[]
}

export function readStatusSubmitAnswer(body: XmlNode): SubmitAnswer {
  const path = 'submitUpdateSimStatusRequestResponse'
  return {
    ticketNumber: int(optional(body, NS.slm, 'ticketNumber'), `${path}/ticketNumber`),
    unknown: readLineIdentifiers(child(body, NS.slm, 'unknownLineIdentifiers'), NS.common),
    refused: [],
  }
}

export function readLocationSubmitAnswer(body: XmlNode): SubmitAnswer {
  const path = 'submitSimSupLocResponse'
  return {
    ticketNumber: int(optional(body, NS.dis, 'ticketNumber'), `${path}/ticketNumber`),
    unknown: readLineIdentifiers(child(body, NS.dis, 'unknownLineIdentifiers'), NS.dis),
    refused: childrenNamed(body, NS.dis, 'validationError').map((v, i) => {
      const error = child(v, NS.dis, 'error')
      if (!error) throw new WireError(`${path}/validationError[${i}]/error`, 'missing')
      return { lines: readLineIdentifiers(child(v, NS.dis, 'lineIdentifiers'), NS.dis), code: attribute(error, 'code') ?? '', message: error.text }
    }),
  }
}

export interface TicketAnswer {
  state: OrangeTicketState
  errorCode: string | null
  errorMessage: string | null
  lines: OrangeTicketLine[]
  unknown: string[]
}

function readTaskLine(node: XmlNode, ns: string, identifierNs: string, path: string): OrangeTicketLine {
  const input = child(node, ns, 'inputLineIdentifier')
  if (!input) throw new WireError(`${path}/inputLineIdentifier`, 'missing')
  return {
    serialNumber: readLineIdentifier(input, identifierNs, `${path}/inputLineIdentifier`),
    processingStatus: oneOf(ORANGE_TASK_STATES, required(node, ns, 'processingStatus', path), `${path}/processingStatus`),
    progressMessage: optional(node, ns, 'progressMessage'),
    errorCode: optional(node, ns, 'errorCode'),
    errorMessage: optional(node, ns, 'errorMessage'),
    errorDate: dateTime(optional(node, ns, 'errorDate'), `${path}/errorDate`),
    updateDate: dateTime(optional(node, ns, 'updateDate'), `${path}/updateDate`),
  }
}

export interface StatusTicketAnswer extends TicketAnswer {
  requestedStatus: OrangeRequestableStatus
  testMode: OrangeTestMode | null
}

export function readStatusTicketAnswer(body: XmlNode): StatusTicketAnswer {
  const path = 'getUpdateSimStatusResultResponse'
  const testMode = optional(body, NS.slm, 'testMode')
  return {
    state: oneOf(ORANGE_TICKET_STATES, required(body, NS.slm, 'globalProcessingStatus', path), `${path}/globalProcessingStatus`),
    errorCode: optional(body, NS.slm, 'errorCode'),
    errorMessage: optional(body, NS.slm, 'errorMessage'),
    requestedStatus: oneOf(ORANGE_REQUESTABLE_STATUSES, required(body, NS.slm, 'requestedStatus', path), `${path}/requestedStatus`),
    testMode: testMode === null ? null : oneOf(ORANGE_TEST_MODES, testMode, `${path}/testMode`),
    lines: childrenNamed(body, NS.slm, 'statusUpdate').map((n, i) => readTaskLine(n, NS.slm, NS.common, `${path}/statusUpdate[${i}]`)),
    unknown: readLineIdentifiers(child(body, NS.slm, 'unknownLineIdentifiers'), NS.common),
  }
}

export interface ReportLine extends OrangeTicketLine {
  connectivity: boolean | null
  ip: string | null
  sessionTime: string | null
  roaming: boolean | null
  cell: OrangeCell | null
  position: OrangePosition | null
  lastKnownPosition: OrangePosition | null
}

export interface SimReportAnswer extends Omit<TicketAnswer, 'lines'> {
  lines: ReportLine[]
}

export function readSimReportAnswer(body: XmlNode): SimReportAnswer {
  const path = 'getSimReportResponse'
  return {
    state: oneOf(ORANGE_TICKET_STATES, required(body, NS.dis, 'globalProcessingStatus', path), `${path}/globalProcessingStatus`),
    errorCode: optional(body, NS.dis, 'errorCode'),
    errorMessage: optional(body, NS.dis, 'errorMessage'),
    unknown: readLineIdentifiers(child(body, NS.dis, 'unknownLineIdentifiers'), NS.dis),
    lines: childrenNamed(body, NS.dis, 'line').map((n, i) => readReportLine(n, `${path}/line[${i}]`)),
  }
}

function readReportLine(node: XmlNode, path: string): ReportLine {
  const supervision = child(node, NS.dis, 'supervision')
  const geolocation = child(node, NS.dis, 'geolocation')
  const cell = child(geolocation, NS.dis, 'cellId')
  const position = child(geolocation, NS.dis, 'geographicPosition')
  const lastKnown = child(geolocation, NS.dis, 'lastKnownGeographicPosition')
  const g = `${path}/geolocation`
  return {
    ...readTaskLine(node, NS.dis, NS.dis, path),
    connectivity: supervision ? bool(required(supervision, NS.dis, 'connectivity', `${path}/supervision`), `${path}/supervision/connectivity`) : null,
    ip: optional(supervision, NS.dis, 'ip'),
    sessionTime: dateTime(optional(supervision, NS.dis, 'sessionTime'), `${path}/supervision/sessionTime`),
    roaming: bool(optional(geolocation, NS.dis, 'roaming'), `${g}/roaming`),
    cell: cell
      ? {
          mcc: int(required(cell, NS.dis, 'mcc', `${g}/cellId`), `${g}/cellId/mcc`)!,
          mnc: int(required(cell, NS.dis, 'mnc', `${g}/cellId`), `${g}/cellId/mnc`)!,
          lac: int(optional(cell, NS.dis, 'lac'), `${g}/cellId/lac`),
          cellId: int(optional(cell, NS.dis, 'cellId'), `${g}/cellId/cellId`),
          extendedCellId: int(optional(cell, NS.dis, 'extendedCellId'), `${g}/cellId/extendedCellId`),
        }
      : null,
    position: position ? readPosition(position, NS.dis, 'timeStamp', `${g}/geographicPosition`) : null,
    lastKnownPosition: lastKnown ? readPosition(lastKnown, NS.dis, 'timeStamp', `${g}/lastKnownGeographicPosition`) : null,
  }
}

/** The typed fault inside a SOAP fault's detail, by its element; null when it is none of Orange's. */
export type MalimaFault =
  | { kind: 'MalimaError'; code: string; message: string }
  | { kind: 'TooManyLineIdentifiersError'; max: number | null }
  | { kind: 'UnknownTicketError'; ticketNumber: number | null }
  | { kind: 'ResultAlreadyRetrievedError'; retrievalDate: string | null }
  | { kind: 'TelcoISError'; code: string | null; message: string }
  | { kind: 'InvalidParameterError'; message: string }

/**
 * exceptions.xsd declares the faults of ConnectivityDirectory and SimLifecycleManagement without
 * elementFormDefault, so their children are unqualified; deviceInfo.xsd declares DeviceInfo's own, qualified.
 */
export function readMalimaFault(detail: XmlNode | undefined): MalimaFault | null {
  if (!detail) return null
  const childNs = detail.ns === NS.ex ? null : detail.ns === NS.dis ? NS.dis : undefined
  if (childNs === undefined) return null
  const text = (name: string) => optional(detail, childNs, name)
  const intOrNull = (name: string) => {
    try {
      return int(text(name), name)
    } catch {
      return null
    }
  }
  switch (detail.local) {
    case 'MalimaError':
      return { kind: 'MalimaError', code: text('code') ?? '', message: text('message') ?? '' }
    case 'TooManyLineIdentifiersError':
      return { kind: 'TooManyLineIdentifiersError', max: intOrNull('maxAllowedLineIdentifiersNumber') }
    case 'UnknownTicketError':
      return { kind: 'UnknownTicketError', ticketNumber: intOrNull('ticketNumber') }
    case 'ResultAlreadyRetrievedError':
      return { kind: 'ResultAlreadyRetrievedError', retrievalDate: parseCarrierDateTime(text('retrievalDate')) ?? null }
    case 'TelcoISError':
      return childNs === null ? { kind: 'TelcoISError', code: text('code'), message: text('message') ?? '' } : null
    case 'InvalidParameterError':
      return childNs === null ? { kind: 'InvalidParameterError', message: text('message') ?? '' } : null
    default:
      return null
  }
}
