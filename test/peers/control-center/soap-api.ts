/**
 * The legacy Jasper SOAP API (docs/wire/control-center.md §2): SOAP 1.1 document/literal, WS-Security UsernameToken with the
 * GUI password, a license key in every body, numeric fault strings. Operations: Echo, GetTerminalDetails,
 * EditTerminal, GetSessionInfo (terminal), GetTerminalUsage (billing), SendSMS, GetSMSDetails (Sms).
 *
 * fast-xml-parser (the library the production client uses too) parses; responses are written as strings so the peer
 * controls prefixes and xsi:nil exactly as a JAXB server prints them.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { AccountState, DeviceEdit, PeerUser } from './account-state'
import { CUSTOMERS, RATE_PLANS, isOverrideMode, isSimStatus, type Device, type SmsRecord } from './inventory'
import type { ApiRequest } from './rest-api'
import { JASPER_NS, SOAP12_ENV_NS, SOAP_ENV_NS, bytesToMb, escapeXml, parseCycleDate, soapFault, soapOk, xsDate, xsDateTime, type PeerResponse } from './wire-format'

export const SOAP_PREFIX = '/ws/service/'
const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText'
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance'
/** Shape of the build string real responses carry (OSGP test payloads: "jasper_release_6.29-160108-154179"). */
const BUILD = 'jasper_release_6.29-peer-1'
const DAY = 86_400_000

/** §2.1 error codes with the Knowledge Base wording (CFALCKEN SOAP/errors.py). */
const FAULTS = {
  '100100': 'Device not found',
  '100101': 'Invalid ICCID',
  '100200': 'Invalid device change type',
  '100300': 'Invalid edit terminal request',
  '100520': 'Invalid rate plan',
  '200200': 'No device usage found',
  '400100': 'Invalid license key',
  '400101': 'License has exceeded the rate limit for API calls',
  '400200': 'Security validation error: username or password is incorrect',
  '400201': 'Access violation error',
  '400300': 'System internal error',
  '400400': 'Too many entries',
  '500300': 'SMS message not found',
  '500400': 'Message text null',
  '500500': 'Message text greater than 160 characters',
  '500700': 'Device not active',
  '500800': 'Decoding error',
} as const
type FaultCode = keyof typeof FAULTS

class SoapFailure extends Error {
  constructor(
    readonly code: FaultCode,
    readonly token?: string,
  ) {
    super(FAULTS[code])
  }
}
/** [I] Validation tokens (§2.3) go after the message in the fault detail. */
const fault = (code: FaultCode, token?: string): never => {
  throw new SoapFailure(code, token)
}

export function codedFault(code: FaultCode, options: { status?: number; latin1?: boolean; headers?: Record<string, string> } = {}): PeerResponse {
  return soapFault(code, FAULTS[code], options)
}

/** Malformed requests that never reach an endpoint: Client faults with a text faultstring, as Spring-WS sends them. */
const clientFault = (text: string): PeerResponse => soapFault(text, text, { faultcode: 'SOAP-ENV:Client' })

// ---------------------------------------------------------------------------------------------------------------
// XML with namespaces resolved (fast-xml-parser keeps prefixes; JAXB matches on namespace URIs, and so do we)

interface XmlNode {
  ns: string | null
  local: string
  attrs: { ns: string | null; local: string; value: string }[]
  children: XmlNode[]
  text: string
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
})

function splitName(name: string): [string, string] {
  const colon = name.indexOf(':')
  return colon < 0 ? ['', name] : [name.slice(0, colon), name.slice(colon + 1)]
}

function toNodes(raw: unknown, scope: ReadonlyMap<string, string>): XmlNode[] {
  if (!Array.isArray(raw)) return []
  const nodes: XmlNode[] = []
  for (const item of raw as unknown[]) {
    if (item === null || typeof item !== 'object') continue
    const entry = item as Record<string, unknown>
    const name = Object.keys(entry).find((k) => k !== ':@' && k !== '#text')
    if (name === undefined) continue
    const rawAttrs = (entry[':@'] ?? {}) as Record<string, unknown>
    const inner = new Map(scope)
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns') inner.set('', String(v))
      else if (k.startsWith('xmlns:')) inner.set(k.slice(6), String(v))
    }
    const [prefix, local] = splitName(name)
    const attrs = Object.entries(rawAttrs)
      .filter(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:'))
      .map(([k, v]) => {
        const [p, l] = splitName(k)
        return { ns: p === '' ? null : (inner.get(p) ?? null), local: l, value: String(v) }
      })
    const content = entry[name]
    const text = Array.isArray(content) ? (content as unknown[]).map((c) => (c !== null && typeof c === 'object' && '#text' in c ? String((c as Record<string, unknown>)['#text']) : '')).join('') : ''
    nodes.push({ ns: inner.get(prefix) ?? null, local, attrs, children: toNodes(content, inner), text })
  }
  return nodes
}

const child = (node: XmlNode | undefined, local: string, ns: string = JASPER_NS): XmlNode | undefined => node?.children.find((c) => c.local === local && c.ns === ns)
const childrenNamed = (node: XmlNode | undefined, local: string, ns: string = JASPER_NS): XmlNode[] => node?.children.filter((c) => c.local === local && c.ns === ns) ?? []
const textOf = (node: XmlNode | undefined, local: string): string | undefined => child(node, local)?.text
const attr = (node: XmlNode, local: string): string | undefined => node.attrs.find((a) => a.local === local)?.value

// ---------------------------------------------------------------------------------------------------------------

interface Ctx {
  state: AccountState
  user: PeerUser
  request: XmlNode
  now: number
  messageId: string
  version: string
}

type Operation = { service: 'echo' | 'terminal' | 'billing' | 'sms'; run: (ctx: Ctx) => string }

const OPERATIONS: Record<string, Operation> = {
  Echo: { service: 'echo', run: (ctx) => el('value', textOf(ctx.request, 'value') ?? '') },
  GetTerminalDetails: { service: 'terminal', run: getTerminalDetails },
  EditTerminal: { service: 'terminal', run: editTerminal },
  GetSessionInfo: { service: 'terminal', run: getSessionInfo },
  GetTerminalUsage: { service: 'billing', run: getTerminalUsage },
  SendSMS: { service: 'sms', run: sendSms },
  GetSMSDetails: { service: 'sms', run: getSmsDetails },
}

/** Stats key for a SOAP call, from the SOAPAction header (available before the body is read). */
export function soapRouteKey(req: { url: URL; headers: ApiRequest['headers'] }): string {
  const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '')
  const op = action.split('/').at(-1)
  return op ? `SOAP ${op}` : `SOAP ${req.url.pathname.slice(SOAP_PREFIX.length)}`
}

/**
 * §2.1. Check order: envelope → endpoint mapping (body element, service path, SOAPAction) → WS-Security (400200) →
 * license key (400100): security interceptors run before the endpoint reads the body's license key.
 */
export function handleSoap(state: AccountState, req: ApiRequest): PeerResponse | null {
  const service = req.url.pathname.slice(SOAP_PREFIX.length).toLowerCase()
  if (!['echo', 'terminal', 'billing', 'sms'].includes(service)) return null
  if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST', 'content-type': 'text/plain' }, body: Buffer.from('Method Not Allowed') }
  const type = String(req.headers['content-type'] ?? '')
  if (!/^text\/xml\b/i.test(type)) {
    return { status: 415, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`SOAP 1.1 requires Content-Type text/xml, got '${type}'`) }
  }
  const xml = req.body.toString('utf8')
  if (XMLValidator.validate(xml) !== true) return clientFault('Could not access envelope: the request is not well-formed XML')
  const [envelope] = toNodes(parser.parse(xml), new Map())
  if (envelope?.local !== 'Envelope') return clientFault('Could not access envelope: no SOAP Envelope')
  if (envelope.ns === SOAP12_ENV_NS) return soapFault('SOAP 1.2 is not supported; use SOAP 1.1', 'VersionMismatch', { faultcode: 'SOAP-ENV:VersionMismatch' })
  if (envelope.ns !== SOAP_ENV_NS) return clientFault('Could not access envelope: wrong envelope namespace')
  const request = child(envelope, 'Body', SOAP_ENV_NS)?.children[0]
  const opName = request && request.ns === JASPER_NS && request.local.endsWith('Request') ? request.local.slice(0, -'Request'.length) : ''
  const operation = OPERATIONS[opName]
  if (!request || !operation || operation.service !== service) {
    return clientFault(`No endpoint mapping found for [{${request?.ns ?? ''}}${request?.local ?? ''}] at ${req.url.pathname}`)
  }
  // SOAP 1.1 §6.1.1 requires the header; the spec gives its exact value (§2.1). "" means "the URL says it".
  const action = req.headers.soapaction
  if (action === undefined) return clientFault('Missing SOAPAction header')
  const actionValue = String(action).replace(/^"|"$/g, '')
  const expected = `http://api.jasperwireless.com/ws/service/${service}/${opName}`
  if (actionValue !== '' && actionValue.toLowerCase() !== expected.toLowerCase()) {
    return clientFault(`SOAPAction '${actionValue}' does not match ${request.local} (expected "${expected}")`)
  }

  const user = wsSecurityUser(state, envelope)
  if (!user) return codedFault('400200')
  if (textOf(request, 'licenseKey') !== state.licenseKey) return codedFault('400100')

  const now = state.now()
  state.settle(now)
  const ctx: Ctx = { state, user, request, now, messageId: textOf(request, 'messageId') ?? '', version: textOf(request, 'version') ?? '' }
  try {
    return soapOk(responseElement(opName, ctx, operation.run(ctx)))
  } catch (error) {
    if (error instanceof SoapFailure) return soapFault(error.code, error.token ? `${error.message}: ${error.token}` : error.message)
    if (error instanceof ValidationFailure) return clientFault(error.message)
    return codedFault('400300')
  }
}

class ValidationFailure extends Error {}

/** §2.1: UsernameToken with PasswordText = the user's Control Center GUI password (not the REST API key). */
function wsSecurityUser(state: AccountState, envelope: XmlNode): PeerUser | undefined {
  // Several Header elements are tolerated: Cisco's own Postman samples send a second, empty one.
  for (const header of childrenNamed(envelope, 'Header', SOAP_ENV_NS)) {
    const token = child(child(header, 'Security', WSSE_NS), 'UsernameToken', WSSE_NS)
    const username = child(token, 'Username', WSSE_NS)?.text
    const passwordNode = child(token, 'Password', WSSE_NS)
    if (username === undefined || passwordNode === undefined) continue
    const type = attr(passwordNode, 'Type')
    if (type !== undefined && type !== PASSWORD_TEXT) return undefined
    return state.users.find((u) => u.username === username && u.password !== undefined && u.password === passwordNode.text)
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

const el = (name: string, value: string | number | boolean): string => {
  const text = escapeXml(String(value))
  return text === '' ? `<ns2:${name}/>` : `<ns2:${name}>${text}</ns2:${name}>`
}
/** minOccurs="0" elements are left out when there is no value. */
const optional = (name: string, value: string | number | null | undefined): string => (value === null || value === undefined ? '' : el(name, value))
/** nillable="true" elements are written with xsi:nil. */
const nillable = (name: string, value: string | number | null): string => (value === null ? `<ns2:${name} xsi:nil="true"/>` : el(name, value))

/** §2.1: every response extends ResponseType (correlationId = request messageId, version, build, timestamp) + requestId. */
function responseElement(op: string, ctx: Ctx, content: string): string {
  const requestId = `peer${(++ctx.state.soapResponses).toString(36).padStart(12, '0')}`
  return (
    `<ns2:${op}Response ns2:requestId="${requestId}" xmlns:ns2="${JASPER_NS}" xmlns:xsi="${XSI_NS}">` +
    el('correlationId', ctx.messageId) +
    el('version', ctx.version) +
    el('build', BUILD) +
    el('timestamp', xsDateTime(ctx.now)) +
    content +
    `</ns2:${op}Response>`
  )
}

function deviceOf(ctx: Ctx, iccid: string | undefined): { index: number; device: Device } {
  if (!iccid) throw new ValidationFailure('Validation error: iccid is required')
  if (!/^\d{1,22}$/.test(iccid)) fault('100101')
  const index = ctx.state.inventory.indexOf(iccid) ?? fault('100100')
  return { index, device: ctx.state.inventory.device(index) }
}

// ---------------------------------------------------------------------------------------------------------------
// Terminal service

/** §2.2: 1–50 ICCIDs; unknown ones are silently left out ([I] a fault 100100 when none is known). */
function getTerminalDetails(ctx: Ctx): string {
  const iccids = childrenNamed(child(ctx.request, 'iccids'), 'iccid').map((n) => n.text)
  if (iccids.length === 0) throw new ValidationFailure('Validation error: at least one iccid is required')
  if (iccids.length > 50) fault('400400')
  const known = iccids.flatMap((iccid) => {
    const index = ctx.state.inventory.indexOf(iccid)
    return index === undefined ? [] : [index]
  })
  if (known.length === 0) fault('100100')
  return `<ns2:terminals>${known.map((i) => terminalXml(ctx, i)).join('')}</ns2:terminals>`
}

/** TerminalType in schema order (JasperAPI.xsd 5.90), plus msisdn which the spec lists (§2.2). Volumes in MB. */
function terminalXml(ctx: Ctx, index: number): string {
  const { inventory } = ctx.state
  const d = inventory.device(index)
  const usage = ctx.state.usage(index, inventory.cycleStartOf(ctx.now), ctx.now)
  const custom = (values: (string | null)[], prefix: string, from: number, to: number): string =>
    values
      .slice(from, to)
      .map((v, n) => el(`${prefix}${from + n + 1}`, v ?? ''))
      .join('')
  return (
    '<ns2:terminal>' +
    el('iccid', d.iccid) +
    optional('terminalId', d.deviceID) +
    optional('modemId', d.modemID) +
    optional('customer', d.customer) +
    optional('endConsumerId', d.endConsumerId) +
    el('suspended', 'N') +
    el('ratePlan', d.ratePlan) +
    el('status', `${d.status}_NAME`) +
    el('monthToDateUsage', bytesToMb(usage.dataBytes)) +
    el('overageLimitReached', usage.dataBytes > usage.ratePlan.includedBytes) +
    el('overageLimitOverride', d.overageLimitOverride) +
    optional('dateActivated', d.dateActivated === null ? null : xsDateTime(d.dateActivated)) +
    el('dateAdded', xsDateTime(d.dateAdded)) +
    el('dateModified', xsDateTime(d.dateUpdated)) +
    optional('dateShipped', d.dateShipped === null ? null : xsDateTime(d.dateShipped)) +
    el('monthToDateDataUsage', bytesToMb(usage.dataBytes)) +
    el('monthToDateSMSUsage', usage.smsMO + usage.smsMT) +
    el('monthToDateVoiceUsage', usage.voiceMO + usage.voiceMT) +
    el('secureSimId', '') +
    custom(d.accountCustom, 'custom', 0, 3) +
    '<ns2:rating/>' +
    el('secureSimUsernameCopyRule', 'N') +
    el('secureSimPasswordCopyRule', 'N') +
    el('accountId', inventory.accountId) +
    nillable('fixedIpAddress', d.fixedIPAddress) +
    nillable('ctdSessionCount', usage.sessions) +
    custom(d.customerCustom, 'customerCustom', 0, 5) +
    custom(d.operatorCustom, 'operatorCustom', 0, 5) +
    el('imsi', d.imsi) +
    el('msisdn', d.msisdn) +
    el('imei', d.imei) +
    optional('simNotes', d.simNotes) +
    el('version', 1) +
    custom(d.accountCustom, 'custom', 3, 10) +
    '</ns2:terminal>'
  )
}

const CUSTOM_CHANGE_TYPES: Record<number, { field: 'accountCustom' | 'operatorCustom' | 'customerCustom'; n: number }> = {
  17: { field: 'accountCustom', n: 1 },
  18: { field: 'accountCustom', n: 2 },
  19: { field: 'accountCustom', n: 3 },
  ...Object.fromEntries([73, 74, 75, 76, 77, 78, 79].map((t, k) => [t, { field: 'accountCustom', n: 4 + k }])),
  ...Object.fromEntries([42, 43, 44, 45, 46].map((t, k) => [t, { field: 'operatorCustom', n: 1 + k }])),
  ...Object.fromEntries([47, 48, 49, 50, 51].map((t, k) => [t, { field: 'customerCustom', n: 1 + k }])),
}

/** §2.3 EditTerminal: one attribute per call, targetValue by changeType; status values carry the _NAME suffix. */
function editTerminal(ctx: Ctx): string {
  const { index, device } = deviceOf(ctx, textOf(ctx.request, 'iccid'))
  const changeText = textOf(ctx.request, 'changeType') ?? ''
  if (!/^\d+$/.test(changeText)) fault('100200')
  const changeType = Number(changeText)
  const target = child(ctx.request, 'targetValue')?.text
  const edit: DeviceEdit = {}
  const plainText = (max: number, token: string): string | null => {
    if (target === undefined || target === '') return null
    if (target.length > max || /[,*]/.test(target)) fault('100300', token)
    return target
  }
  switch (changeType) {
    case 1:
      edit.deviceID = plainText(50, 'DEVICEID_INVALID_FORMAT')
      break
    case 2:
      edit.modemID = plainText(40, 'MODEMID_INVALID_FORMAT')
      break
    case 3: {
      if (!target) fault('100300', 'SIMSTATUS_NULL')
      const status = (target ?? '').replace(/_NAME$/, '')
      if (!target?.endsWith('_NAME') || !isSimStatus(status)) fault('100300', 'SIMSTATUS_INVALID')
      if (isSimStatus(status)) edit.status = status
      break
    }
    case 4:
      if (!target) fault('100520', 'RATEPLAN_NULL')
      if (!RATE_PLANS.some((p) => p.name === target)) fault('100520', 'RATEPLAN_INVALID')
      edit.ratePlan = target
      break
    case 6:
      if (target && !CUSTOMERS.includes(target)) fault('100300', 'CUSTOMERNAME_INVALID')
      edit.customer = target || null
      break
    case 7:
      if (!target) fault('100300', 'OVERRIDEMODE_NULL')
      if (target && isOverrideMode(target)) edit.overageLimitOverride = target
      else fault('100300', 'OVERRIDEMODE_INVALID')
      break
    default: {
      const ref = CUSTOM_CHANGE_TYPES[changeType]
      if (!ref) fault('100200')
      else if (ref.field === 'operatorCustom') fault('400201')
      else edit.custom = [{ ...ref, value: target ?? null }]
    }
  }
  const today = Math.floor(ctx.now / DAY) * DAY
  const effectiveText = textOf(ctx.request, 'effectiveDate')
  let at = ctx.now
  if (effectiveText) {
    const date = parseCycleDate(effectiveText)
    if (date === null) throw new ValidationFailure(`Validation error: effectiveDate '${effectiveText}' is not an xs:date`)
    if (date < today || date > ctx.now + 180 * DAY) fault('100300', 'INVALID_EFFECTIVE_DATE')
    at = Math.max(date, ctx.now)
  }
  if (at > ctx.now) ctx.state.schedule(index, edit, at)
  else ctx.state.applyEdit(index, edit, at)
  return el('iccid', device.iccid) + el('effectiveDate', xsDate(Math.floor(at / DAY) * DAY))
}

/** §2.5: entries only for SIMs in session. */
function getSessionInfo(ctx: Ctx): string {
  const sessions = childrenNamed(ctx.request, 'iccid').flatMap((n) => {
    const index = ctx.state.inventory.indexOf(n.text)
    if (index === undefined) return []
    const s = ctx.state.inventory.session(index, ctx.now)
    if (s.started === null || s.ended !== null) return []
    return ['<ns2:session>' + el('iccid', n.text) + el('ipAddress', s.ipAddress ?? '') + el('dateSessionStarted', xsDateTime(s.started)) + nillable('dateSessionEnded', null) + '</ns2:session>']
  })
  return `<ns2:sessionInfo>${sessions.join('')}</ns2:sessionInfo>`
}

// ---------------------------------------------------------------------------------------------------------------
// Billing service

/**
 * §2.4 GetTerminalUsage: completed cycles only. The open cycle, a future one, a date that starts no cycle, a cycle
 * without traffic and a missing date all give 200200. Volumes match REST for the same cycle (MB = bytes / 1,048,576).
 */
function getTerminalUsage(ctx: Ctx): string {
  const { index, device } = deviceOf(ctx, textOf(ctx.request, 'iccid'))
  const text = textOf(ctx.request, 'cycleStartDate')
  if (!text) return fault('200200')
  const start = parseCycleDate(text)
  if (start === null) throw new ValidationFailure(`Validation error: cycleStartDate '${text}' is not an xs:date`)
  const inventory = ctx.state.inventory
  if (!inventory.isCycleStart(start) || start >= inventory.cycleStartOf(ctx.now)) fault('200200')
  const usage = ctx.state.usage(index, start, ctx.now)
  if (!usage.hasData) fault('200200')
  const data = bytesToMb(usage.dataBytes)
  const sms = usage.smsMO + usage.smsMT
  const voice = usage.voiceMO + usage.voiceMT
  return (
    el('iccid', device.iccid) +
    optional('terminalId', device.deviceID) +
    optional('customer', device.customer) +
    optional('endConsumerId', device.endConsumerId) +
    el('totalDataVolume', data) +
    el('billableDataVolume', data) +
    el('cycleStartDate', xsDate(start)) +
    el('billable', true) +
    el('totalSMSVolume', sms) +
    el('totalVoiceVolume', voice) +
    el('billableSMSVolume', sms) +
    el('billableVoiceVolume', voice) +
    el('ratePlan', usage.ratePlan.name) +
    el('eventsUsage', 0) +
    el('totalEvents', 0)
  )
}

// ---------------------------------------------------------------------------------------------------------------
// SMS service

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** §2.5 SendSMS (attribute messageTextEncoding LITERAL|BASE64; an empty attribute means LITERAL). */
function sendSms(ctx: Ctx): string {
  const { device } = deviceOf(ctx, textOf(ctx.request, 'sentToIccid'))
  const encoding = attr(ctx.request, 'messageTextEncoding') || 'LITERAL'
  const raw = textOf(ctx.request, 'messageText') ?? ''
  if (raw === '') fault('500400')
  let payload: Buffer
  if (encoding === 'BASE64') {
    if (!BASE64.test(raw)) fault('500800')
    payload = Buffer.from(raw, 'base64')
  } else if (encoding === 'LITERAL') {
    payload = Buffer.from(raw, 'utf8')
  } else {
    return fault('500800')
  }
  const text = payload.toString('utf8')
  if ([...text].length > 160) fault('500500')
  if (device.status !== 'ACTIVATED' && device.status !== 'TEST_READY') fault('500700')
  const record = ctx.state.sms.send(device, text, payload, ctx.user.username, ctx.now)
  ctx.state.smsSent++
  return el('smsMsgId', record.smsMsgId)
}

/** §2.5 GetSMSDetails; [I] smsMsgAttemptStatus for states other than the documented success value. */
function getSmsDetails(ctx: Ctx): string {
  const base64 = attr(ctx.request, 'messageTextEncoding') === 'BASE64'
  const records = childrenNamed(child(ctx.request, 'smsMsgIds'), 'smsMsgId').flatMap((n) => {
    const record = /^\d{1,15}$/.test(n.text) ? ctx.state.sms.get(Number(n.text)) : undefined
    return record ? [record] : []
  })
  if (records.length === 0) fault('500300')
  const attempt = { Pending: 'Pending', Delivered: 'DeliverAckReceivedStatusSuccessful', Failed: 'DeliverAckReceivedStatusFailed' } as const
  const xml = records.map((r: SmsRecord) => {
    const status = ctx.state.sms.status(r, ctx.now)
    return (
      '<ns2:smsMessage>' +
      el('smsMsgId', r.smsMsgId) +
      el('status', status) +
      el('messageText', base64 ? r.payload.toString('base64') : r.text) +
      el('senderLogin', r.senderLogin) +
      el('sentToIccid', r.iccid) +
      el('sentFrom', 'Server') +
      el('smsMsgAttemptStatus', attempt[status]) +
      el('msgType', 'MT') +
      el('dateSent', xsDateTime(r.sentAt)) +
      optional('dateReceived', status === 'Delivered' ? xsDateTime(r.deliverAt) : null) +
      el('dateAdded', xsDateTime(r.sentAt)) +
      el('dateModified', xsDateTime(status === 'Pending' ? r.sentAt : r.deliverAt)) +
      '</ns2:smsMessage>'
    )
  })
  return `<ns2:smsMessages>${xml.join('')}</ns2:smsMessages>`
}
