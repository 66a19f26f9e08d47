/**
 * What SendGrid's v3 Mail Send refuses in a request body, and how it says so. Written from docs/wire/mail.md §8 and,
 * where the spec is thin, from SendGrid's own documentation:
 * - "Status Codes & Errors" (sendgrid/docs, API_Reference/Web_API_v3/Mail/errors.md): every documented parameter
 *   error, its message and the table it belongs to; `help` links that table's anchor (`#message.<table>`).
 * - the Mail Send OpenAPI description (twilio/sendgrid-oai, tsg_mail_v3): required members, minLength, maxItems,
 *   the disposition enum.
 * - "Mail Send limitations": 30 MB, 1000 recipients, custom_args under 10,000 bytes, no Unicode in `from`, no ';' or
 *   ',' in recipient names.
 * `field` is the path of the offending value with array indexes (`personalizations.0.to.0.email`,
 * `attachments.0.content`), the form SendGrid's answers use.
 *
 * [I] marks what those pages do not settle and the peer decides, always on the refusing side:
 * - members the API does not describe are refused (SendGrid's behaviour for them is undocumented; a typo such as
 *   `reply-to` would otherwise pass here and be silently dropped by the service);
 * - the account has no templates, IP pools, unsubscribe groups or batches unless the peer is given some, so a
 *   template_id, ip_pool_name or asm.group_id it does not know is refused as "not valid for your account";
 * - header names are compared without case for the reserved list and for duplicates (mail headers are
 *   case-insensitive, RFC 5322);
 * - type errors of members whose table documents no type message use "must be a string/boolean/integer" wording.
 */

export interface SendGridError {
  message: string
  field: string | null
  help: string | null
}

/** What the account holds that a request may refer to (all empty by default: a new account). */
export interface AccountResources {
  templates: ReadonlySet<string>
  ipPools: ReadonlySet<string>
  asmGroups: ReadonlySet<number>
}

const ERRORS_PAGE = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html'
export const MAX_PERSONALIZATIONS = 1000
export const MAX_RECIPIENTS = 1000
export const MAX_CATEGORIES = 10
const MAX_CATEGORY_LENGTH = 255
const MAX_EMAIL_LENGTH = 320
const MAX_CUSTOM_ARGS_BYTES = 10_000
const MAX_SUBSTITUTIONS = 10_000
const MAX_GROUPS_TO_DISPLAY = 25
const MAX_SCHEDULE_SECONDS = 72 * 3600
/** Documented reserved header names ("Header can not be one of the reserved keys"). */
export const RESERVED_HEADERS = ['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']

/** [I] SendGrid's address check is more lenient than RFC 5322 parsing; this catches what the documented errors speak of. */
const EMAIL = /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/
/** Documented for attachment filename/type/content_id and content.type: ';', ',', CR and LF are refused. */
const HEADER_BREAKERS = /[;,\r\n]/

const TOP_LEVEL = new Set([
  'personalizations',
  'from',
  'reply_to',
  'reply_to_list',
  'subject',
  'content',
  'attachments',
  'template_id',
  'headers',
  'categories',
  'custom_args',
  'send_at',
  'batch_id',
  'asm',
  'ip_pool_name',
  'mail_settings',
  'tracking_settings',
  'sections',
])
const PERSONALIZATION = new Set(['to', 'cc', 'bcc', 'from', 'subject', 'headers', 'substitutions', 'dynamic_template_data', 'custom_args', 'send_at'])
const ADDRESS = new Set(['email', 'name'])
const CONTENT = new Set(['type', 'value'])
const ATTACHMENT = new Set(['content', 'type', 'filename', 'disposition', 'content_id'])
/** mail_settings / tracking_settings members and the kind of each of their members. */
const MAIL_SETTINGS: Record<string, Record<string, 'boolean' | 'string' | 'integer' | 'address'>> = {
  bcc: { enable: 'boolean', email: 'address' },
  bypass_list_management: { enable: 'boolean' },
  bypass_spam_management: { enable: 'boolean' },
  bypass_bounce_management: { enable: 'boolean' },
  bypass_unsubscribe_management: { enable: 'boolean' },
  footer: { enable: 'boolean', text: 'string', html: 'string' },
  sandbox_mode: { enable: 'boolean' },
  spam_check: { enable: 'boolean', threshold: 'integer', post_to_url: 'string' },
}
const TRACKING_SETTINGS: Record<string, Record<string, 'boolean' | 'string'>> = {
  click_tracking: { enable: 'boolean', enable_text: 'boolean' },
  open_tracking: { enable: 'boolean', substitution_tag: 'string' },
  subscription_tracking: { enable: 'boolean', text: 'string', html: 'string', substitution_tag: 'string' },
  ganalytics: { enable: 'boolean', utm_source: 'string', utm_medium: 'string', utm_term: 'string', utm_content: 'string', utm_campaign: 'string' },
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const ADDRESS_EXAMPLE = 'e.g. {"email": "example@example.com"} or {"email": "example@example.com", "name": "Example Recipient"}'

class Collector {
  readonly list: SendGridError[] = []

  add(field: string | null, message: string, table?: string): void {
    this.list.push({ message, field, help: table === undefined ? null : `${ERRORS_PAGE}#message.${table}` })
  }

  /** [I] Members the API does not describe. */
  unknownKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, at: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.has(key)) this.add(at ? `${at}.${key}` : key, `The ${key} parameter is not part of the v3 Mail Send request body.`)
    }
  }
}

/** Every problem of a Mail Send body, in SendGrid's error shape; empty when it may be sent. `now` is epoch ms. */
export function validateMailSend(body: unknown, account: AccountResources, now: number): SendGridError[] {
  const out = new Collector()
  if (!isObject(body)) {
    out.add(null, 'Bad Request')
    return out.list
  }
  out.unknownKeys(body, TOP_LEVEL, '')
  const templated = checkTemplate(out, body.template_id, account)
  const everyHasSubject = checkPersonalizations(out, body, now)
  checkAddress(out, body.from, 'from', 'from', 'From', { required: true, ascii: true })
  checkReplyTo(out, body)
  checkSubject(out, body.subject, 'subject', 'subject', !templated && !everyHasSubject)
  checkContent(out, body.content, templated)
  checkAttachments(out, body.attachments)
  checkHeaders(out, body.headers, 'headers', 'headers')
  checkCategories(out, body.categories)
  checkStringMap(out, body.sections, 'sections', 'sections', 'The section values must be strings.')
  checkCustomArgs(out, body.custom_args, 'custom_args', 'custom_args')
  checkSendAt(out, body.send_at, 'send_at', 'send_at', now)
  if (body.batch_id !== undefined && typeof body.batch_id !== 'string') out.add('batch_id', 'The batch_id must be a string.', 'batch_id')
  checkAsm(out, body.asm, account)
  checkIpPool(out, body.ip_pool_name, account)
  checkSettings(out, body.mail_settings, 'mail_settings', MAIL_SETTINGS)
  checkSettings(out, body.tracking_settings, 'tracking_settings', TRACKING_SETTINGS)
  checkCustomArgsSize(out, body)
  return out.list
}

function checkTemplate(out: Collector, id: unknown, account: AccountResources): boolean {
  if (id === undefined) return false
  if (typeof id !== 'string') {
    out.add('template_id', `The template ID must be a string, you provided ${JSON.stringify(id)}.`, 'template_id')
    return false
  }
  if (!account.templates.has(id)) {
    out.add('template_id', `The Template ID must be a valid template id for your account. You provided ${id}.`, 'template_id')
    return false
  }
  return true
}

/** Checks the personalizations; true when every one of them has a subject (the global one may then be left out). */
function checkPersonalizations(out: Collector, body: Record<string, unknown>, now: number): boolean {
  const list = body.personalizations
  if (!Array.isArray(list) || list.length === 0) {
    out.add('personalizations', 'You must have at least one personalization.', 'personalizations')
    return false
  }
  if (list.length > MAX_PERSONALIZATIONS) {
    out.add(
      'personalizations',
      `The personalization block is limited to ${MAX_PERSONALIZATIONS} personalizations per API request. You have provided ${list.length} personalizations. Please consider splitting this into multiple requests and resending your request.`,
      'personalizations',
    )
    return false
  }
  let recipients = 0
  let everyHasSubject = true
  list.forEach((p: unknown, i) => {
    const at = `personalizations.${i}`
    if (!isObject(p)) {
      out.add(at, 'The to parameter is required for all personalization objects.', 'personalizations')
      everyHasSubject = false
      return
    }
    out.unknownKeys(p, PERSONALIZATION, at)
    if (p.to === undefined) out.add(`${at}.to`, 'The to parameter is required for all personalization objects.', 'personalizations')
    const seen = new Map<string, string>()
    for (const kind of ['to', 'cc', 'bcc'] as const) {
      const entries = p[kind]
      if (entries === undefined) continue
      const table = `personalizations.${kind}`
      if (!Array.isArray(entries) || entries.length === 0) {
        out.add(`${at}.${kind}`, `The ${kind} array must at least have an email parameter with a valid email address and it may also contain a name parameter. ${ADDRESS_EXAMPLE}`, table)
        continue
      }
      entries.forEach((entry: unknown, j) => {
        recipients++
        const field = `${at}.${kind}.${j}`
        const email = checkAddress(out, entry, field, table, kind === 'to' ? 'To' : kind.toUpperCase(), { required: true, recipientName: true })
        if (email === null) return
        const first = seen.get(email.toLowerCase())
        if (first !== undefined) {
          out.add(at, `Each unique email address in the personalization block should only be included once. You have included ${email} more than once.`, table)
        } else {
          seen.set(email.toLowerCase(), field)
        }
      })
    }
    if (p.from !== undefined) checkAddress(out, p.from, `${at}.from`, 'from', 'From', { required: true, ascii: true })
    if (typeof p.subject !== 'string' || p.subject === '') everyHasSubject = false
    checkSubject(out, p.subject, `${at}.subject`, 'personalizations.subject', false)
    checkHeaders(out, p.headers, `${at}.headers`, 'personalizations.headers')
    checkSubstitutions(out, p.substitutions, `${at}.substitutions`)
    if (p.dynamic_template_data !== undefined && !isObject(p.dynamic_template_data)) {
      out.add(`${at}.dynamic_template_data`, 'The dynamic_template_data must be an object.', 'personalizations')
    }
    checkCustomArgs(out, p.custom_args, `${at}.custom_args`, 'personalizations.custom_args')
    checkSendAt(out, p.send_at, `${at}.send_at`, 'personalizations.send_at', now)
  })
  if (recipients > MAX_RECIPIENTS) out.add('personalizations', `There is a limit of ${MAX_RECIPIENTS} total recipients (to + cc + bcc) per request.`, 'personalizations')
  return everyHasSubject
}

/**
 * An email object; returns its address when it is valid. `recipientName`: the limitations page forbids ';' and ','
 * in to/cc/bcc names. `ascii`: "Unicode encoding is not supported for the from field" (limitations).
 */
function checkAddress(out: Collector, value: unknown, field: string, table: string, label: string, rules: { required: boolean; recipientName?: boolean; ascii?: boolean }): string | null {
  if (value === undefined && !rules.required) return null
  if (!isObject(value)) {
    out.add(
      field,
      label === 'From'
        ? `The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter. ${ADDRESS_EXAMPLE}`
        : `Each recipient object must at least have an email address and may also contain a name. ${ADDRESS_EXAMPLE}`,
      table,
    )
    return null
  }
  out.unknownKeys(value, ADDRESS, field)
  const email = value.email
  let ok = false
  if (email === undefined) {
    out.add(
      `${field}.email`,
      `The ${label === 'From' ? 'from' : 'recipient'} object must at least have an email parameter with a valid email address and may also contain a name parameter. ${ADDRESS_EXAMPLE}`,
      table,
    )
  } else if (typeof email !== 'string' || !EMAIL.test(email) || (rules.ascii === true && NON_ASCII.test(email))) {
    // [I] The wording SendGrid answers for an address it cannot parse; the documented tables give the general rule.
    out.add(`${field}.email`, 'Does not contain a valid address.', table)
  } else if (email.length > MAX_EMAIL_LENGTH) {
    out.add(`${field}.email`, `The ${label} email exceeds the maximum total length of ${MAX_EMAIL_LENGTH} characters`, table)
  } else {
    ok = true
  }
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') out.add(`${field}.name`, 'The name must be a string.', table)
    else if (rules.recipientName === true && /[;,]/.test(value.name)) out.add(`${field}.name`, 'The name cannot include either the ; or , characters.', table)
  }
  return ok ? (email as string) : null
}

/** reply_to or reply_to_list, not both (OpenAPI); the list is unique and holds at most 1000. */
function checkReplyTo(out: Collector, body: Record<string, unknown>): void {
  if (body.reply_to !== undefined) checkAddress(out, body.reply_to, 'reply_to', 'reply_to', 'Reply-To', { required: true })
  const list = body.reply_to_list
  if (list === undefined) return
  if (body.reply_to !== undefined) out.add('reply_to_list', 'You can use either the reply_to property or the reply_to_list property, but not both.', 'reply_to')
  if (!Array.isArray(list) || list.length === 0 || list.length > 1000) {
    out.add('reply_to_list', 'The reply_to_list must be an array of 1 to 1000 email objects.', 'reply_to')
    return
  }
  const seen = new Set<string>()
  list.forEach((entry: unknown, i) => {
    const email = checkAddress(out, entry, `reply_to_list.${i}`, 'reply_to', 'Reply-To', { required: true })
    if (email === null) return
    if (seen.has(email.toLowerCase())) out.add(`reply_to_list.${i}.email`, `The reply_to_list must be unique: ${email} is included more than once.`, 'reply_to')
    seen.add(email.toLowerCase())
  })
}

function checkSubject(out: Collector, subject: unknown, field: string, table: string, required: boolean): void {
  if (subject === undefined) {
    if (required) {
      out.add(field, 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', table)
    }
    return
  }
  if (typeof subject !== 'string' || subject === '') out.add(field, 'The subject of your email must be a string at least one character in length.', table)
}

function checkContent(out: Collector, content: unknown, templated: boolean): void {
  if (content === undefined) {
    if (!templated) out.add('content', 'The content param is required unless you are using a transactional template and have defined a template_ID.', 'content')
    return
  }
  if (!Array.isArray(content) || content.length === 0) {
    out.add('content', 'There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.', 'content')
    return
  }
  // RFC 1341 §7.2 as SendGrid applies it: text/plain first, then text/html, then anything else.
  const rank = (type: unknown): number => (type === 'text/plain' ? 0 : type === 'text/html' ? 1 : 2)
  let highest = 0
  content.forEach((block: unknown, i) => {
    const at = `content.${i}`
    if (!isObject(block)) {
      out.add(`${at}.type`, 'A content type is required, this tells email clients how to display the email.', 'content.type')
      return
    }
    out.unknownKeys(block, CONTENT, at)
    const { type, value } = block
    if (type === undefined) out.add(`${at}.type`, 'A content type is required, this tells email clients how to display the email.', 'content.type')
    else if (typeof type !== 'string' || type === '') out.add(`${at}.type`, 'Your content type must be a string with length of at least one character.', 'content.type')
    else if (HEADER_BREAKERS.test(type)) out.add(`${at}.type`, "Cannot contain ';', or CRLF characters.", 'content.type')
    else if (rank(type) < highest) {
      out.add(
        `${at}.type`,
        'Following RFC 1341, section 7.2, if either text/html or text/plain are to be sent in your email: text/plain needs to be first, followed by text/html, followed by any other content.',
        'content.value',
      )
    }
    highest = Math.max(highest, rank(type))
    if (value === undefined) out.add(`${at}.value`, 'A content value is required, this is the content of the email you are sending.', 'content.value')
    else if (typeof value !== 'string' || value === '') out.add(`${at}.value`, 'The content value must be a string at least one character in length.', 'content.value')
  })
}

function checkAttachments(out: Collector, attachments: unknown): void {
  if (attachments === undefined) return
  if (!Array.isArray(attachments)) {
    out.add('attachments', 'The attachments must be an array of attachment objects.', 'attachments.content')
    return
  }
  attachments.forEach((a: unknown, i) => {
    const at = `attachments.${i}`
    if (!isObject(a)) {
      out.add(`${at}.content`, 'The attachment content must be a string at least one character in length.', 'attachments.content')
      out.add(`${at}.filename`, 'filename is required.', 'attachments.filename')
      return
    }
    out.unknownKeys(a, ATTACHMENT, at)
    if (typeof a.content !== 'string' || a.content === '') {
      out.add(`${at}.content`, 'The attachment content must be a string at least one character in length.', 'attachments.content')
    } else if (!BASE64.test(a.content)) {
      out.add(`${at}.content`, 'The attachment content must be base64 encoded.', 'attachments.content')
    }
    if (a.filename === undefined) out.add(`${at}.filename`, 'filename is required.', 'attachments.filename')
    else if (typeof a.filename !== 'string' || a.filename === '') out.add(`${at}.filename`, 'The filename of your attachment must be a string.', 'attachments.filename')
    else if (HEADER_BREAKERS.test(a.filename)) out.add(`${at}.filename`, 'The filename of your attachment cannot contain CRLF characters.', 'attachments.filename')
    if (a.type !== undefined) {
      if (typeof a.type !== 'string' || a.type === '') out.add(`${at}.type`, 'The attachment type must be a string and at least one character in length.', 'attachments.type')
      else if (HEADER_BREAKERS.test(a.type)) out.add(`${at}.type`, "The type cannot contain ';', or CRLF characters.", 'attachments.type')
    }
    if (a.disposition !== undefined && a.disposition !== 'inline' && a.disposition !== 'attachment') {
      out.add(`${at}.disposition`, `The disposition of your attachment can be either "inline" or "attachment". You provided ${String(a.disposition)}.`, 'attachments.disposition')
    }
    if (a.content_id !== undefined) {
      if (typeof a.content_id !== 'string') {
        out.add(`${at}.content_id`, `The content ID of your attachment must be a string. You provided ${JSON.stringify(a.content_id)}.`, 'attachments.content_id')
      } else if (HEADER_BREAKERS.test(a.content_id)) {
        out.add(`${at}.content_id`, 'The content ID of your attachment cannot contain CRLF characters.', 'attachments.content_id')
      }
    }
  })
}

/** Global and per-personalization headers share their rules (two tables with the same four messages). */
function checkHeaders(out: Collector, headers: unknown, field: string, table: string): void {
  if (headers === undefined) return
  if (!isObject(headers)) {
    out.add(field, 'The header values must be strings.', table)
    return
  }
  const seen = new Set<string>()
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (name === '' || NON_ASCII.test(name) || /\s/.test(name)) out.add(`${field}.${name}`, 'Header keys cannot contain non-ASCII characters and empty spaces.', table)
    else if (RESERVED_HEADERS.includes(lower)) out.add(`${field}.${name}`, 'Header can not be one of the reserved keys.', table)
    else if (seen.has(lower)) out.add(`${field}.${name}`, 'The headers cannot contain duplicate keys.', table)
    seen.add(lower)
    if (typeof value !== 'string') out.add(`${field}.${name}`, 'The header values must be strings.', table)
  }
}

/** Documented: at most 10, strings, each at most 255 characters, unique, ASCII only. */
function checkCategories(out: Collector, categories: unknown): void {
  if (categories === undefined) return
  if (!Array.isArray(categories) || categories.some((c) => typeof c !== 'string')) {
    out.add('categories', 'Categories must be an array of strings.', 'categories')
    return
  }
  if (categories.length > MAX_CATEGORIES) {
    out.add('categories', `There is a limit of ${MAX_CATEGORIES} categories for each email that is sent. You provided ${categories.length} categories.`, 'categories')
  }
  const seen = new Set<string>()
  ;(categories as string[]).forEach((c, i) => {
    if (c.length > MAX_CATEGORY_LENGTH) out.add(`categories.${i}`, `Each category must not be longer than ${MAX_CATEGORY_LENGTH} characters. ${c.slice(0, 40)}… exceeds this limit`, 'categories')
    if (NON_ASCII.test(c)) out.add(`categories.${i}`, 'Categories can not contain non-ASCII characters.', 'categories')
    if (seen.has(c)) out.add(`categories.${i}`, `The categories must be a unique list, and you have included ${c} more than once.`, 'categories')
    seen.add(c)
  })
}

function checkStringMap(out: Collector, value: unknown, field: string, table: string, message: string): boolean {
  if (value === undefined) return true
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    out.add(field, message, table)
    return false
  }
  return true
}

function checkSubstitutions(out: Collector, value: unknown, field: string): void {
  if (!checkStringMap(out, value, field, 'personalizations.substitutions', 'The substitution values must be an object of key/value pairs, where the values are all strings.')) return
  if (isObject(value) && Object.keys(value).length > MAX_SUBSTITUTIONS) {
    out.add(field, `You are limited to ${MAX_SUBSTITUTIONS} substitutions.`, 'personalizations.substitutions')
  }
}

function checkCustomArgs(out: Collector, value: unknown, field: string, table: string): void {
  if (!checkStringMap(out, value, field, table, 'All values of custom arguments object must be strings')) return
  if (isObject(value) && Object.keys(value).length === 0) out.add(field, 'custom_args cannot be empty.', table)
}

/** Documented: global custom_args merged into each personalization's, over 10,000 bytes refused. */
function checkCustomArgsSize(out: Collector, body: Record<string, unknown>): void {
  const global = isObject(body.custom_args) ? body.custom_args : {}
  const list = Array.isArray(body.personalizations) ? body.personalizations : []
  list.forEach((p: unknown, i) => {
    const own = isObject(p) && isObject(p.custom_args) ? p.custom_args : {}
    const merged = { ...global, ...own }
    if (Object.keys(merged).length > 0 && Buffer.byteLength(JSON.stringify(merged)) > MAX_CUSTOM_ARGS_BYTES) {
      out.add(
        `personalizations.${i}.custom_args`,
        'The combined size of both global and personalization custom arguments may not exceed 10,000 bytes per personalization.',
        'personalizations.custom_args',
      )
    }
  })
}

function checkSendAt(out: Collector, value: unknown, field: string, table: string, now: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    out.add(field, 'The send_at parameter is expecting a Unix timestamp as an integer. We will send immediately if you include a send_at timestamp that is in the past.', table)
  } else if (value > Math.floor(now / 1000) + MAX_SCHEDULE_SECONDS) {
    out.add(field, 'Scheduling more than 72 hours in advance is forbidden.', table)
  }
}

function checkAsm(out: Collector, asm: unknown, account: AccountResources): void {
  if (asm === undefined) return
  if (!isObject(asm) || typeof asm.group_id !== 'number' || !Number.isInteger(asm.group_id)) {
    out.add('asm.group_id', 'The ASM group ID must be an integer.', 'asm.group_id')
    return
  }
  out.unknownKeys(asm, new Set(['group_id', 'groups_to_display']), 'asm')
  if (!account.asmGroups.has(asm.group_id)) {
    out.add('asm.group_id', `The ASM group ID must be a valid Group ID on your account. You provided ${asm.group_id}.`, 'asm.group_id')
  }
  const show = asm.groups_to_display
  if (show === undefined) return
  if (!Array.isArray(show) || show.some((g) => typeof g !== 'number' || !Number.isInteger(g))) {
    out.add('asm.groups_to_display', 'The ASM Group IDs to display must be an array of integers.', 'asm.groups_to_display')
    return
  }
  if (show.length > MAX_GROUPS_TO_DISPLAY) {
    out.add('asm.groups_to_display', `There is a limit of ${MAX_GROUPS_TO_DISPLAY} unsubscribe groups that can be displayed to a user at a time.`, 'asm.groups_to_display')
  }
  const unknown = (show as number[]).filter((g) => !account.asmGroups.has(g))
  if (unknown.length > 0) {
    out.add('asm.groups_to_display', `All ASM groups to display must be valid ASM groups IDs on your account. You provided ${unknown.join(', ')}.`, 'asm.groups_to_display')
  }
}

function checkIpPool(out: Collector, name: unknown, account: AccountResources): void {
  if (name === undefined) return
  if (typeof name !== 'string') out.add('ip_pool_name', 'The name of your IP pool must be a string.', 'ip_pool_name')
  else if (!account.ipPools.has(name)) out.add('ip_pool_name', `The IP Pool name must be a valid pool name for your account. You provided ${name}.`, 'ip_pool_name')
}

/** mail_settings and tracking_settings: documented member types, spam_check's threshold 1–10 and URL. */
function checkSettings(out: Collector, value: unknown, root: string, shape: Record<string, Record<string, 'boolean' | 'string' | 'integer' | 'address'>>): void {
  if (value === undefined) return
  if (!isObject(value)) {
    out.add(root, `The ${root} must be an object.`)
    return
  }
  out.unknownKeys(value, new Set(Object.keys(shape)), root)
  for (const [name, members] of Object.entries(shape)) {
    const setting = value[name]
    if (setting === undefined) continue
    const at = `${root}.${name}`
    if (!isObject(setting)) {
      out.add(at, `The ${name} setting must be an object.`, `${at}.enable`)
      continue
    }
    out.unknownKeys(setting, new Set(Object.keys(members)), at)
    for (const [member, kind] of Object.entries(members)) {
      const v = setting[member]
      const field = `${at}.${member}`
      if (v === undefined) continue
      if (kind === 'address') checkAddress(out, v, field, field, 'BCC', { required: true })
      else if (kind === 'integer' ? typeof v !== 'number' || !Number.isInteger(v) : typeof v !== kind) out.add(field, `The ${name} ${member} param should be a ${kind} value.`, field)
    }
    if (name === 'spam_check' && setting.enable === true) {
      const threshold = setting.threshold
      if (threshold === undefined) out.add(`${at}.threshold`, 'You must include the spam check threshold  when using the spam check mail setting.', `${at}.threshold`)
      else if (typeof threshold === 'number' && (threshold < 1 || threshold > 10)) {
        out.add(`${at}.threshold`, 'The spam check threshold is between 1 and 10, with the lower numbers being the most strict filtering. ', `${at}.threshold`)
      }
      const url = setting.post_to_url
      if (url === undefined) out.add(`${at}.post_to_url`, 'You must include the url to post to when using the spam check mail setting.', `${at}.post_to_url`)
      else if (typeof url === 'string' && !/^https?:\/\//.test(url)) out.add(`${at}.post_to_url`, 'The `post_to_url` parameter must start with `http://` or `https://`.', `${at}.post_to_url`)
    }
    if (name === 'bcc' && setting.enable === true && setting.email === undefined) {
      out.add(`${at}.email`, 'You must include a recipient object when using the bcc mail setting.', `${at}.email`)
    }
  }
}
