/**
 * Control Center conformance cases: the requests Cisco publishes — its REST request collection
 * (cfalcken/cisco-iot-control-center Postman/cc-rest-postman-collection.json), its sample scripts (REST/*.py, run with
 * python-requests) and the request examples and error tables of developer.cisco.com/docs/control-center — each with the
 * documented answer. There is no official npm client; test/integration/control-center-conformance.test.ts sends these
 * requests with a plain HTTP client, exactly as written here (method, path, query, headers, body), and checks the answers.
 *
 * Paths are written as in the collection: `{{CC_API_URL}}` is the REST base (`…/rws/api/v1`), `{{ICCID}}` and
 * `{{ACCOUNTID}}` are the collection environment's variables, filled from the peer; `{{SMS_ID}}` is captured from an
 * earlier case's answer. Sources: "postman:<request name>", "script:<file>", "docs:<page>", "spec §n" (docs/wire/control-center.md).
 *
 * Where Cisco's material disagrees with itself, a case says which side it follows and why (`follows`).
 */

/** The header sets of the three kinds of published material, as those tools send them. */
export const CLIENT_HEADERS = {
  /** Postman's runtime: it adds Content-Type for a raw JSON body. */
  postman: { 'user-agent': 'PostmanRuntime/7.39.0', accept: '*/*', 'accept-encoding': 'gzip, deflate, br', connection: 'keep-alive' },
  /** python-requests, which every REST/*.py script uses; `json=` adds Content-Type: application/json. */
  script: { 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' },
  /** The curl request examples of the documentation pages. */
  docs: { accept: 'application/json' },
} as const

export type Credentials = 'admin' | 'accountUser' | 'none' | 'wrongKey'

export interface ConformanceRequest {
  method: 'GET' | 'PUT' | 'POST'
  /** `{{CC_API_URL}}/…`, or a path on the host itself (`/…`) for requests outside the API. */
  url: string
  client: keyof typeof CLIENT_HEADERS
  /** Extra or overriding headers; a null value removes one the client would send. */
  headers?: Record<string, string | null>
  body?: string
  auth?: Credentials
}

/** A pattern an answer must match; objects match partially unless `exactKeys` is used. */
export type Pattern =
  | string
  | number
  | boolean
  | null
  | { $type: 'string' | 'number' | 'boolean' | 'array' | 'object' }
  | { $typeOrNull: 'string' | 'number' }
  | { $arrayOf: Pattern; $min?: number }
  | { $exactKeys: readonly string[] }
  | { $absent: true }
  | { $oneOf: readonly (string | number)[] }
  | { [key: string]: Pattern }

export interface ConformanceExpectation {
  status: number
  /** Matched against the Content-Type header. */
  contentType?: RegExp
  json?: Pattern
  /** The documented error envelope, §1.3 (`errorCode` exactly, `errorMessage` a string unless given). */
  error?: { errorCode?: string | null; errorMessage?: string | RegExp }
  headers?: Record<string, string | RegExp | null>
  /** Values to keep for later cases' `{{NAME}}`, by top-level member name of the JSON answer. */
  capture?: Record<string, string>
  /** An empty body. */
  empty?: boolean
}

export interface ConformanceCase {
  title: string
  source: string
  /** Where Cisco's material disagrees, which side the case follows and why. */
  follows?: string
  request: ConformanceRequest
  expect: ConformanceExpectation
}

export const type = (t: 'string' | 'number' | 'boolean' | 'array' | 'object'): Pattern => ({ $type: t })
export const typeOrNull = (t: 'string' | 'number'): Pattern => ({ $typeOrNull: t })
export const arrayOf = (item: Pattern, min = 0): Pattern => ({ $arrayOf: item, $min: min })
export const exactKeys = (keys: readonly string[]): Pattern => ({ $exactKeys: keys })
export const oneOf = (values: readonly (string | number)[]): Pattern => ({ $oneOf: values })

/** What the matcher found wrong, or null. */
export function mismatch(actual: unknown, pattern: Pattern, at = '$'): string | null {
  if (pattern === null || typeof pattern !== 'object') return Object.is(actual, pattern) ? null : `${at}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`
  if ('$type' in pattern) {
    const t = pattern.$type as string
    const kind = Array.isArray(actual) ? 'array' : actual === null ? 'null' : typeof actual
    return kind === t ? null : `${at}: expected a ${t}, got ${JSON.stringify(actual)}`
  }
  if ('$typeOrNull' in pattern) return actual === null || typeof actual === pattern.$typeOrNull ? null : `${at}: expected ${String(pattern.$typeOrNull)} or null, got ${JSON.stringify(actual)}`
  if ('$oneOf' in pattern) return (pattern.$oneOf as unknown[]).includes(actual) ? null : `${at}: expected one of ${JSON.stringify(pattern.$oneOf)}, got ${JSON.stringify(actual)}`
  if ('$absent' in pattern) return actual === undefined ? null : `${at}: expected to be absent, got ${JSON.stringify(actual)}`
  if ('$exactKeys' in pattern) {
    if (typeof actual !== 'object' || actual === null) return `${at}: expected an object`
    const keys = Object.keys(actual).sort()
    const want = [...(pattern.$exactKeys as string[])].sort()
    return JSON.stringify(keys) === JSON.stringify(want) ? null : `${at}: expected exactly the members ${want.join(',')}, got ${keys.join(',')}`
  }
  if ('$arrayOf' in pattern) {
    if (!Array.isArray(actual)) return `${at}: expected an array`
    const min = typeof pattern.$min === 'number' ? pattern.$min : 0
    if (actual.length < min) return `${at}: expected at least ${min} items, got ${actual.length}`
    for (const [i, item] of actual.entries()) {
      const m = mismatch(item, pattern.$arrayOf as Pattern, `${at}[${i}]`)
      if (m) return m
    }
    return null
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${at}: expected an object, got ${JSON.stringify(actual)}`
  for (const [key, sub] of Object.entries(pattern)) {
    const m = mismatch((actual as Record<string, unknown>)[key], sub as Pattern, `${at}.${key}`)
    if (m) return m
  }
  return null
}

// ---------------------------------------------------------------------------------------------------------------
// The documented shapes (§1.6, §1.8, §1.9, §1.10, §1.11; developer.cisco.com Get Device Details / Search Devices /
// Get Device Usage / Get Session Info / Get Rate Plans / Send SMS / Search SMS / Get SMS Details).

const DEVICE_DETAILS: Pattern = {
  iccid: type('string'),
  imsi: typeOrNull('string'),
  msisdn: typeOrNull('string'),
  imei: typeOrNull('string'),
  status: oneOf(['ACTIVATED', 'DEACTIVATED', 'TEST_READY', 'ACTIVATION_READY', 'INVENTORY', 'RETIRED']),
  ratePlan: type('string'),
  communicationPlan: type('string'),
  customer: typeOrNull('string'),
  endConsumerId: typeOrNull('string'),
  dateActivated: typeOrNull('string'),
  dateUpdated: type('string'),
  dateShipped: typeOrNull('string'),
  accountId: '{{ACCOUNTID}}',
  fixedIPAddress: typeOrNull('string'),
  fixedIpv6Address: typeOrNull('string'),
  deviceID: typeOrNull('string'),
  modemID: typeOrNull('string'),
}

const SEARCH_PAGE: Pattern = {
  pageNumber: 1,
  devices: arrayOf({ iccid: type('string'), status: type('string'), ratePlan: type('string'), communicationPlan: type('string') }, 1),
  lastPage: type('boolean'),
}

const CTD_USAGE: Pattern = {
  iccid: '{{ICCID}}',
  ctdDataUsage: type('number'),
  ctdSMSUsage: type('number'),
  ctdVoiceUsage: type('number'),
  ctdSessionCount: type('number'),
  overageLimitReached: type('boolean'),
}

const SESSION_INFO: Pattern = { iccid: '{{ICCID}}', ipAddress: typeOrNull('string'), dateSessionStarted: typeOrNull('string'), dateSessionEnded: typeOrNull('string') }

const RATE_PLANS: Pattern = { ratePlans: arrayOf({ name: type('string') }, 1), lastPage: type('boolean') }

const JSON_TYPE = /^application\/json/i
const JSON_BODY = { 'content-type': 'application/json' }

/** Send SMS as the documentation's curl example sends it, with `body` as the JSON text. */
const sendSms = (body: string): ConformanceRequest => ({ method: 'POST', url: '{{CC_API_URL}}/devices/{{ICCID}}/smsMessages', client: 'docs', headers: JSON_BODY, body })

/** The §1.3 error envelope with this status and code. */
const refused = (status: number, errorCode: string): ConformanceExpectation => ({ status, error: { errorCode } })
const SINCE_2014 = 'modifiedSince=2014-01-01T00%3A00%3A00%2B00%3A00'

export const CONTROL_CENTER_CASES: readonly ConformanceCase[] = [
  // -- The request collection, as written ------------------------------------------------------------------
  {
    title: 'Search devices',
    source: 'postman:Devices/Search devices',
    request: { method: 'GET', url: `{{CC_API_URL}}/devices?${SINCE_2014}`, client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: SEARCH_PAGE },
  },
  {
    title: 'Search devices for account',
    source: 'postman:Devices/Search devices for account',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?accountId={{ACCOUNTID}}&modifiedSince=2020-01-01T00%3A00%3A00%2B00%3A00', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: SEARCH_PAGE },
  },
  {
    title: 'Get device details',
    source: 'postman:Devices/Get device details, docs:get-device-details',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: { ...DEVICE_DETAILS, iccid: '{{ICCID}}' } },
  },
  {
    title: 'Get device location history (as the collection writes it: the device details URL)',
    source: 'postman:Devices/Get device location history',
    follows:
      'the collection: its "Get device location history" request is GET /devices/{{ICCID}}, a copy of "Get device details"; the documented /locationHistory path (spec §1.5) is not modelled by the peer, so the case checks the request the collection actually sends',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: { iccid: '{{ICCID}}' } },
  },
  {
    title: 'Get device usage (cycle to date)',
    source: 'postman:Devices/Get device usage, docs:get-device-usage',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}/ctdUsages', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: CTD_USAGE },
  },
  {
    title: 'Get session info',
    source: 'postman:Devices/Get session info, docs:get-session-info',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}/sessionInfo', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: SESSION_INFO },
  },
  {
    title: 'Get rate plans',
    source: 'postman:Rate plans/Get rate plans, spec §1.5',
    request: { method: 'GET', url: '{{CC_API_URL}}/rateplans', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: RATE_PLANS },
  },
  {
    title: 'Echo hello',
    source: 'postman:Echo/Hello, script:REST/echo.py',
    request: { method: 'GET', url: '{{CC_API_URL}}/echo/hello', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: { context: type('string') } },
  },
  {
    title: 'Send SMS message',
    source: 'postman:SMS/Send SMS message, docs:send-sms',
    request: {
      method: 'POST',
      url: '{{CC_API_URL}}/devices/{{ICCID}}/smsMessages',
      client: 'postman',
      headers: JSON_BODY,
      body: '{\n    "messageText": "Hello world"\n}',
    },
    expect: { status: 200, contentType: JSON_TYPE, json: { smsMsgId: type('number') }, capture: { SMS_ID: 'smsMsgId' } },
  },
  {
    title: 'Get SMS messages (Search SMS)',
    source: 'postman:SMS/Get SMS messages, docs:search-sms',
    request: { method: 'GET', url: '{{CC_API_URL}}/smsMessages?fromDate=2022-01-01T00%3A00%3A00%2B00%3A00', client: 'postman' },
    expect: { status: 200, contentType: JSON_TYPE, json: { smsMsgIds: arrayOf(type('number'), 1) } },
  },
  {
    title: 'Get SMS message details',
    source: 'postman:SMS/Get SMS message details, docs:get-sms-details',
    follows: "the documentation: the collection asks for message 12280160313 of Cisco's own account; the case asks for the message the send above created",
    request: { method: 'GET', url: '{{CC_API_URL}}/smsMessages/{{SMS_ID}}', client: 'postman' },
    expect: {
      status: 200,
      contentType: JSON_TYPE,
      json: {
        smsMsgId: type('number'),
        status: oneOf(['Cancelled', 'CancelFailed', 'CancelPending', 'Delivered', 'Pending', 'Failed', 'Unknown']),
        messageText: 'Hello world',
        msgType: 'MT',
        sentFrom: 'Server',
        senderLogin: 'ops',
        dateSent: type('string'),
      },
    },
  },

  // -- The sample scripts, as python-requests sends them -------------------------------------------------------
  {
    title: 'send_sms.py posts to smsMessages/ with a trailing slash',
    source: 'script:REST/send_sms.py',
    follows:
      "the script: the documented resource URL has no trailing slash, but Cisco's own sample sends one and reads a 200; the peer treats both as one resource, as the Spring MVC service does by default [I]",
    request: { method: 'POST', url: '{{CC_API_URL}}/devices/{{ICCID}}/smsMessages/', client: 'script', headers: JSON_BODY, body: '{"messageText": "Hello World"}' },
    expect: { status: 200, contentType: JSON_TYPE, json: exactKeys(['smsMsgId']) },
  },
  {
    title: 'get_devices.py sends an empty accountId= when no account is given',
    source: 'script:REST/get_devices.py, docs:search-devices',
    follows:
      'the script and the documentation together: accountId is optional ("If you omit this parameter, Control Center uses the account associated with the user name"), and the script sends accountId= for "no account"; an empty value is read as the parameter omitted [I]',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?accountId=&pageNumber=1&modifiedSince=2000-01-01T00%3A00%3A00%2B00%3A00', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: SEARCH_PAGE },
  },
  {
    title: 'get_devices.py with an account: accountId=<id>',
    source: 'script:REST/get_devices.py',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?accountId={{ACCOUNTID}}&pageNumber=1&modifiedSince=2000-01-01T00%3A00%3A00%2B00%3A00', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: SEARCH_PAGE },
  },
  {
    title: 'get_rate_plans.py sends fields=, by default and prints whole rate plans',
    source: 'script:REST/get_rate_plans.py',
    follows: 'the script: a fields list with no name in it selects nothing away, so its default "," gives whole plans [I]',
    request: { method: 'GET', url: '{{CC_API_URL}}/rateplans?fields=,&pageNumber=1', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: { ratePlans: arrayOf({ name: type('string'), ratePlanId: type('number') }, 1), lastPage: type('boolean') } },
  },
  {
    title: 'get_device_details.py -f iccid,status returns exactly those fields',
    source: 'script:REST/get_device_details.py, spec §1.1 (fields)',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}?fields=iccid,status', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: exactKeys(['iccid', 'status']) },
  },
  {
    title: 'get_device_details.py without -f',
    source: 'script:REST/get_device_details.py',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: DEVICE_DETAILS },
  },
  {
    title: 'get_device_session_info.py',
    source: 'script:REST/get_device_session_info.py',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}/sessionInfo', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: SESSION_INFO },
  },
  {
    title: 'get_device_usage.py -f ctdDataUsage',
    source: 'script:REST/get_device_usage.py, spec §1.1 (fields)',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}/ctdUsages?fields=ctdDataUsage', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: exactKeys(['ctdDataUsage']) },
  },
  {
    title: 'echo.py',
    source: 'script:REST/echo.py',
    request: { method: 'GET', url: '{{CC_API_URL}}/echo/fieldline', client: 'script' },
    expect: { status: 200, contentType: JSON_TYPE, json: { context: 'fieldline' } },
  },
  {
    title: 'edit_device_details.py -p \'{"status": "ACTIVATED"}\'',
    source: 'script:REST/edit_device_details.py, docs:edit-device-details, spec §1.7',
    follows:
      'the documentation: the script asks functions.get_data for method "put", which the stored functions.py does not implement (it exits "Unknown method"); the case sends the PUT with the JSON body that the documentation and the script\'s intent describe',
    request: { method: 'PUT', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'script', headers: JSON_BODY, body: '{"status": "ACTIVATED"}' },
    expect: { status: 200, contentType: JSON_TYPE, json: { iccid: '{{ICCID}}' } },
  },

  // -- The documentation's request examples and error tables ---------------------------------------------------
  {
    title: "Send SMS as the documentation's curl example sends it (Accept and Content-Type JSON)",
    source: 'docs:send-sms',
    request: sendSms('{\n   "messageText": "Hello world"\n}'),
    expect: { status: 200, contentType: JSON_TYPE, json: { smsMsgId: type('number') } },
  },
  {
    title: 'no credentials → 401 with the Basic challenge and no errorCode',
    source: 'spec §1.1',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'docs', auth: 'none' },
    expect: { status: 401, headers: { 'www-authenticate': 'Basic realm="Jasper"' }, error: { errorCode: null, errorMessage: 'Full authentication is required to access this resource' } },
  },
  {
    title: 'a wrong API key → 401 10000001 Invalid credentials',
    source: 'spec §1.1, docs:send-sms (errors)',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'docs', auth: 'wrongKey' },
    expect: { status: 401, error: { errorCode: '10000001', errorMessage: 'Invalid credentials' } },
  },
  {
    title: 'an unknown ICCID → 404 20000001',
    source: 'spec §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/89000000000000000000', client: 'docs' },
    expect: { status: 404, error: { errorCode: '20000001', errorMessage: 'Resource not found - Invalid ICCID' } },
  },
  {
    title: 'Search devices without modifiedSince → 400 10000003',
    source: 'docs:search-devices (modifiedSince required), spec §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?pageNumber=1', client: 'docs' },
    expect: refused(400, '10000003'),
  },
  {
    title: 'Search devices with modifiedSince= left empty → 400 10000003 (missing, not malformed)',
    source: 'docs:search-devices, spec §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?modifiedSince=', client: 'script' },
    expect: refused(400, '10000003'),
  },
  {
    title: "an unencoded '+' in modifiedSince → 400 10000012",
    source: 'spec §1.4 (the + must travel as %2B)',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices?modifiedSince=2016-04-18T17:31:34+00:00', client: 'docs' },
    expect: refused(400, '10000012'),
  },
  {
    title: 'pageSize 51 → 400 10000006',
    source: 'docs:search-devices (maximum 50), spec §1.2, §1.3',
    request: { method: 'GET', url: `{{CC_API_URL}}/devices?${SINCE_2014}&pageSize=51`, client: 'docs' },
    expect: refused(400, '10000006'),
  },
  {
    title: 'an unrecognized query parameter → 400 10000028',
    source: 'spec §1.3',
    request: { method: 'GET', url: `{{CC_API_URL}}/devices?${SINCE_2014}&ratePlanName=x`, client: 'docs' },
    expect: refused(400, '10000028'),
  },
  {
    title: 'an unrecognized parameter left empty is still unrecognized → 400 10000028',
    source: 'spec §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}?accountId=', client: 'script' },
    expect: refused(400, '10000028'),
  },
  {
    title: 'another apiVersion → 400 10000024',
    source: 'spec §1.3',
    request: { method: 'GET', url: '/rws/api/v2/devices/{{ICCID}}', client: 'docs' },
    expect: refused(400, '10000024'),
  },
  {
    title: 'malformed JSON → 400 10000023',
    source: 'spec §1.3, docs:send-sms (errors)',
    request: sendSms('{"messageText": "Hello'),
    expect: refused(400, '10000023'),
  },
  {
    title: 'an invalid messageEncoding → 400 10000017',
    source: 'docs:send-sms (errors), spec §1.3',
    request: sendSms('{"messageText":"x","messageEncoding":"UTF8"}'),
    expect: refused(400, '10000017'),
  },
  {
    title: 'an invalid dataCoding → 400 10000018',
    source: 'docs:send-sms (errors), spec §1.3',
    request: sendSms('{"messageText":"x","dataCoding":2}'),
    expect: refused(400, '10000018'),
  },
  {
    title: 'an invalid tpvp → 400 10000019',
    source: 'docs:send-sms (errors), spec §1.3',
    request: sendSms('{"messageText":"x","tpvp":999}'),
    expect: refused(400, '10000019'),
  },
  {
    title: '71 UCS2 characters (dataCoding 8, max 70) → 400 10000020',
    source: 'docs:send-sms (messageText lengths, errors), spec §1.10',
    request: sendSms(JSON.stringify({ messageText: 'é'.repeat(71), dataCoding: 8 })),
    expect: refused(400, '10000020'),
  },
  {
    title: '321 characters without dataCoding (default max 320) → 400 10000020',
    source: 'docs:send-sms (default maximum 320)',
    request: sendSms(JSON.stringify({ messageText: 'x'.repeat(321) })),
    expect: refused(400, '10000020'),
  },
  {
    title: 'an unknown body member on PUT → 400 10000028',
    source: 'spec §1.3, §1.7',
    request: { method: 'PUT', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'docs', headers: JSON_BODY, body: '{"ratePlanName":"hphlr rp1"}' },
    expect: refused(400, '10000028'),
  },
  {
    title: 'usageInZone for a cycle older than the last three → 400 with the documented message',
    source: 'spec §1.8',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}/usageInZone?cycleStartDate=2020-01-01Z', client: 'docs' },
    expect: { status: 400, error: { errorMessage: 'cycleStartDate must specify one of the last three billing cycles' } },
  },
  {
    title: 'rate plans for an AccountUser → 400 10000030',
    source: 'spec §1.5 (AccountAdmin role), §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/rateplans', client: 'docs', auth: 'accountUser' },
    expect: refused(400, '10000030'),
  },
  {
    title: 'Search SMS without fromDate → 400 10000003',
    source: 'docs:search-sms (fromDate required), spec §1.3',
    request: { method: 'GET', url: '{{CC_API_URL}}/smsMessages?pageNumber=1', client: 'docs' },
    expect: refused(400, '10000003'),
  },
  {
    title: 'an API path on the console host → HTML 404, not JSON',
    source: 'spec §1.1',
    request: { method: 'GET', url: '/provision/ui/terminals/sims/sims.html', client: 'docs' },
    expect: { status: 404, contentType: /^text\/html/i },
  },
  {
    title: 'an Accept that excludes JSON → 406 [I]',
    source: 'docs (JSON in and out, spec §1.1) [I Spring content negotiation]',
    request: { method: 'GET', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'docs', headers: { accept: 'text/xml' } },
    expect: { status: 406, empty: true },
  },
  {
    title: 'a PUT body without Content-Type → 415 [I]',
    source: 'docs:edit-device-details (JSON body), spec §1.1 [I Spring]',
    request: { method: 'PUT', url: '{{CC_API_URL}}/devices/{{ICCID}}', client: 'docs', body: '{"status":"ACTIVATED"}' },
    expect: { status: 415, error: { errorCode: null, errorMessage: "Content type 'application/octet-stream' not supported" } },
  },
]

/**
 * Requests of the collection the peer does not model (Fieldline does not use them); they are not counted as cases.
 * Each would meet the peer's HTML 404 for an unmapped path.
 */
export const NOT_MODELLED: readonly { request: string; source: string }[] = [
  { request: 'GET {{CC_API_URL}}/accounts', source: 'postman:Accounts/Get all accounts' },
  { request: 'GET {{CC_API_URL}}/accounts/{{ACCOUNTID}}', source: 'postman:Accounts/Get account details' },
  { request: 'GET {{CC_API_URL}}/accounts/{{ACCOUNTID}}/applicationSettings', source: 'postman:Accounts/Get account application settings' },
  { request: 'GET {{CC_API_URL}}/accounts/{{ACCOUNTID}}/billingSettings', source: 'postman:Accounts/Get account billing settings' },
  { request: 'GET {{CC_API_URL}}/accounts/{{ACCOUNTID}}/ratePlans', source: 'postman:Accounts/Get account rate plans' },
  { request: 'GET {{CC_API_URL}}/customers/{{CUSTOMERID}}', source: 'postman:Customers/Get customer details' },
  { request: 'GET {{CC_API_URL}}/usages?ratePlanName={{RATEPLAN}}', source: 'postman:Usage/Get usage' },
  { request: 'GET {{CC_API_URL}}/users', source: 'postman:Users/Get all users' },
]
