/**
 * SendGrid's official Node clients (@sendgrid/mail 8, @sendgrid/client 8, installed from npm) drive the SendGrid peer
 * through the documented operations of v3 Mail Send, and each case asserts the documented outcome: 202 for a send,
 * 200 in sandbox mode, 400 with the offending field named, 401, 403, 413, 415, 429 with its headers.
 *
 * Sources named in each case: "errors" = SendGrid's Status Codes & Errors page (Mail Send), "oai" = the Mail Send
 * OpenAPI description (twilio/sendgrid-oai), "limits" = the Mail Send limitations page, "§8" = docs/wire/mail.md §8.
 *
 * Where the official helper (@sendgrid/helpers' Mail class, used by @sendgrid/mail) refuses a body itself before
 * sending — an attachment without filename — the case says so and sends the same body through @sendgrid/client, the
 * official transport, so the peer's own answer is what is checked.
 */
import { Client } from '@sendgrid/client'
import { MailService, type MailDataRequired } from '@sendgrid/mail'
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { RESERVED_HEADERS } from '../peers/sendgrid/mail-send-rules'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const SENDER = 'admin@example.com'
const TEMPLATE = 'd-0123456789abcdef0123456789abcdef'

let peer: SendGridPeer

/** An official client pointed at the peer: setApiKey sets the public base URL, so the peer's comes after it. */
function officialClient(apiKey: string | null = DEFAULT_API_KEY): Client {
  const client = new Client()
  if (apiKey !== null) client.setApiKey(apiKey)
  // proxy: false keeps axios off any HTTP(S)_PROXY of the machine running the tests: the peer is on loopback.
  client.setDefaultRequest('baseUrl', `${peer.url}/`)
  client.setDefaultRequest('proxy' as never, false as never)
  return client
}

function officialMail(apiKey: string | null = DEFAULT_API_KEY): MailService {
  const mail = new MailService()
  mail.setClient(officialClient(apiKey))
  return mail
}

const message = (extra: Partial<MailDataRequired> = {}): MailDataRequired =>
  ({ to: 'tess@example.org', from: { email: SENDER, name: 'Ada Admin' }, subject: 'Hello', text: 'Hi Tess', ...extra }) as MailDataRequired

interface Refusal {
  status: number
  body: { errors?: { message: string; field: string | null; help?: string | null }[] }
  headers: Record<string, string>
}

async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise
  } catch (e) {
    const err = e as { code?: unknown; response?: { body?: unknown; headers?: Record<string, string> } }
    if (typeof err.code !== 'number' || !err.response) throw e
    return { status: err.code, body: err.response.body as Refusal['body'], headers: err.response.headers ?? {} }
  }
  throw new Error('the official client reported success where a refusal was expected')
}

/** A 400 whose error list names `field` (and, when given, says `message`); returns that error. */
async function refusedField(promise: Promise<unknown>, field: string, message?: RegExp) {
  const r = await refusal(promise)
  expect(r.status).toBe(400)
  const hit = r.body.errors?.find((e) => e.field === field)
  expect(hit, `errors: ${JSON.stringify(r.body.errors)}`).toBeDefined()
  if (message) expect(hit!.message).toMatch(message)
  expect(hit!.help).toMatch(/^http:\/\/sendgrid\.com\/docs\/API_Reference\/Web_API_v3\/Mail\/errors\.html#message\./)
  return hit!
}

/** The body the raw client sends: what @sendgrid/mail would build for `message()`. */
const rawBody = (extra: Record<string, unknown> = {}) => ({
  personalizations: [{ to: [{ email: 'tess@example.org' }] }],
  from: { email: SENDER },
  subject: 'Hello',
  content: [{ type: 'text/plain', value: 'Hi' }],
  ...extra,
})

const rawSend = (body: unknown, client = officialClient()) => client.request({ method: 'POST', url: '/v3/mail/send', body })

beforeAll(async () => {
  peer = await startSendGridPeer({ verifiedSenders: [SENDER], templates: [TEMPLATE] })
})

afterAll(async () => {
  await peer?.close()
})

afterEach(() => {
  peer.setRateLimit(null)
  peer.faults.clear()
})

describe('SendGrid conformance: @sendgrid/mail and @sendgrid/client against the peer', () => {
  const suite = conformanceSuite('sendgrid (@sendgrid/mail + @sendgrid/client 8.1.6)')

  suite.case('a documented send is queued: 202, empty body, X-Message-Id', '§8, errors', async () => {
    const before = peer.messages().length
    const [response, body] = await officialMail().send(message())
    expect(response.statusCode).toBe(202)
    expect(body).toBe('')
    const stored = peer.messages()
    expect(stored).toHaveLength(before + 1)
    expect(response.headers['x-message-id']).toBe(stored.at(-1)!.messageId)
    expect(stored.at(-1)!.body).toMatchObject({ personalizations: [{ to: [{ email: 'tess@example.org' }] }], from: { email: SENDER, name: 'Ada Admin' }, subject: 'Hello' })
  })

  suite.case('a full message (text+html, cc, bcc, reply_to, attachment inline with content_id, 10 categories, headers, custom_args, send_at) is queued', 'oai', async () => {
    const [response] = await officialMail().send(
      message({
        cc: 'carl@example.org',
        bcc: [{ email: 'bea@example.org', name: 'Bea' }],
        replyTo: 'help@example.com',
        html: '<p>Hi <img src="cid:logo"></p>',
        attachments: [
          { content: Buffer.from('%PDF-1.4 report').toString('base64'), filename: 'report.pdf', type: 'application/pdf', disposition: 'attachment' },
          // content_id as documented: @sendgrid/mail passes attachment objects through unconverted (see the contentId case).
          { content: Buffer.from('GIF89a').toString('base64'), filename: 'logo.gif', type: 'image/gif', disposition: 'inline', content_id: 'logo' } as never,
        ],
        categories: Array.from({ length: 10 }, (_, i) => `category-${i}`),
        headers: { 'X-Fieldline-Ref': 'abc', 'Content-Language': 'fr' },
        customArgs: { tenant: 'north' },
        sendAt: Math.floor(Date.now() / 1000) + 3600,
      }),
    )
    expect(response.statusCode).toBe(202)
    const body = peer.messages().at(-1)!.body
    expect(body.content).toEqual([
      { type: 'text/plain', value: 'Hi Tess' },
      { type: 'text/html', value: '<p>Hi <img src="cid:logo"></p>' },
    ])
    expect(body.attachments).toHaveLength(2)
    expect(body.reply_to).toEqual({ email: 'help@example.com' })
    expect((body.attachments as { content_id?: string }[])[1]?.content_id).toBe('logo')
  })

  suite.case('sendMultiple gives each recipient a personalization: 202', 'oai', async () => {
    const [response] = await officialMail().sendMultiple(message({ to: ['a@example.org', 'b@example.org', 'c@example.org'] }))
    expect(response.statusCode).toBe(202)
    expect(peer.messages().at(-1)!.body.personalizations).toHaveLength(3)
  })

  suite.case('a dynamic template of the account with dynamic_template_data and no content is queued', 'errors (content), oai', async () => {
    const [response] = await officialMail().send({ to: 'tess@example.org', from: SENDER, templateId: TEMPLATE, dynamicTemplateData: { name: 'Tess' } } as MailDataRequired)
    expect(response.statusCode).toBe(202)
  })

  suite.case('sandbox mode validates and answers 200 without delivering', '§8, errors', async () => {
    const before = peer.messages().length
    const sandboxBefore = peer.stats().sandbox
    const [response, body] = await officialMail().send(message({ mailSettings: { sandboxMode: { enable: true } } }))
    expect(response.statusCode).toBe(200)
    expect(body).toBe('')
    expect(peer.messages()).toHaveLength(before)
    expect(peer.stats().sandbox).toBe(sandboxBefore + 1)
  })

  suite.case('sandbox mode still refuses an invalid body (400)', 'errors', async () => {
    await refusedField(officialMail().send(message({ subject: '', mailSettings: { sandboxMode: { enable: true } } })), 'subject')
  })

  // Attachments
  suite.case('attachment content that is not base64 → 400 attachments.0.content', 'errors (attachments.content)', async () => {
    await refusedField(officialMail().send(message({ attachments: [{ content: 'not base64 at all!', filename: 'a.txt' }] })), 'attachments.0.content', /base64/)
  })

  suite.case('empty attachment content → 400 attachments.0.content', 'errors (attachments.content), oai minLength', async () => {
    await refusedField(rawSend(rawBody({ attachments: [{ content: '', filename: 'a.txt' }] })), 'attachments.0.content', /at least one character/)
  })

  suite.case('attachment without filename: @sendgrid/mail refuses it locally; sent raw → 400 attachments.0.filename', 'errors (attachments.filename), oai required', async () => {
    await expect(officialMail().send(message({ attachments: [{ content: 'aGk=' } as never] }))).rejects.toThrow(/filename/)
    await refusedField(rawSend(rawBody({ attachments: [{ content: 'aGk=' }] })), 'attachments.0.filename', /filename is required/)
  })

  suite.case('attachment filename with CR/LF → 400 attachments.0.filename', 'errors (attachments.filename)', async () => {
    await refusedField(officialMail().send(message({ attachments: [{ content: 'aGk=', filename: 'a\r\nBcc: x@example.org' }] })), 'attachments.0.filename', /CRLF/)
  })

  suite.case('unknown attachment disposition → 400 attachments.0.disposition', 'errors (attachments.disposition), oai enum', async () => {
    await refusedField(officialMail().send(message({ attachments: [{ content: 'aGk=', filename: 'a.txt', disposition: 'download' }] })), 'attachments.0.disposition', /inline.*attachment/)
  })

  suite.case('attachment type with ";" → 400 attachments.0.type', 'errors (attachments.type)', async () => {
    await refusedField(officialMail().send(message({ attachments: [{ content: 'aGk=', filename: 'a.txt', type: 'text/plain; charset=x' }] })), 'attachments.0.type')
  })

  suite.case('attachment content_id with CR/LF → 400 attachments.0.content_id', 'errors (attachments.content_id)', async () => {
    await refusedField(officialMail().send(message({ attachments: [{ content: 'aGk=', filename: 'a.gif', disposition: 'inline', content_id: 'logo\r\n' } as never] })), 'attachments.0.content_id')
  })

  // @sendgrid/mail 8.1.6 converts its top-level members to snake_case but passes attachment objects through as given,
  // so its documented `contentId` option reaches the wire as `contentId`. The OpenAPI description names the member
  // content_id; the peer follows the API description and refuses the undocumented member [I] rather than silently
  // sending an inline image without its Content-ID, which is what an ignoring service would do.
  suite.case('@sendgrid/mail sends attachments[].contentId unconverted; the peer refuses it as undocumented [I]', 'oai (content_id), peer [I]', async () => {
    const r = await refusal(officialMail().send(message({ attachments: [{ content: 'aGk=', filename: 'a.gif', disposition: 'inline', contentId: 'logo' }] })))
    expect(r.status).toBe(400)
    expect(r.body.errors?.map((e) => e.field)).toEqual(['attachments.0.contentId'])
  })

  // Categories
  suite.case('11 categories → 400 categories', 'errors (categories), oai maxItems 10', async () => {
    await refusedField(officialMail().send(message({ categories: Array.from({ length: 11 }, (_, i) => `c${i}`) })), 'categories', /limit of 10 categories/)
  })

  suite.case('a category over 255 characters, a repeated one and a non-ASCII one → 400 naming each', 'errors (categories)', async () => {
    const r = await refusal(officialMail().send(message({ categories: ['x'.repeat(256), 'dup', 'dup', 'café'] })))
    expect(r.status).toBe(400)
    expect(r.body.errors?.map((e) => e.field)).toEqual(['categories.0', 'categories.2', 'categories.3'])
  })

  // Headers
  for (const name of RESERVED_HEADERS) {
    const header = name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())
    suite.case(`reserved header ${header} → 400 headers.${header}`, 'errors (headers), oai', async () => {
      await refusedField(rawSend(rawBody({ headers: { [header]: 'x' } })), `headers.${header}`, /reserved/)
    })
  }

  suite.case('a reserved header in a personalization → 400 personalizations.0.headers.To', 'errors (personalizations.headers)', async () => {
    await refusedField(rawSend(rawBody({ personalizations: [{ to: [{ email: 'tess@example.org' }], headers: { To: 'x@example.org' } }] })), 'personalizations.0.headers.To', /reserved/)
  })

  suite.case('a header value that is not a string, a header name with a space → 400', 'errors (headers)', async () => {
    const r = await refusal(rawSend(rawBody({ headers: { 'X-Count': 3, 'X Bad': 'v' } })))
    expect(r.status).toBe(400)
    expect(r.body.errors?.map((e) => e.field)).toEqual(['headers.X-Count', 'headers.X Bad'])
  })

  // Personalizations and recipients
  suite.case('no personalization → 400 personalizations', 'errors (personalizations)', async () => {
    await refusedField(rawSend(rawBody({ personalizations: [] })), 'personalizations', /at least one personalization/)
  })

  suite.case('1001 personalizations → 400 personalizations', 'errors (personalizations), oai maxItems 1000, limits', async () => {
    const personalizations = Array.from({ length: 1001 }, (_, i) => ({ to: [{ email: `r${i}@example.org` }] }))
    await refusedField(rawSend(rawBody({ personalizations })), 'personalizations', /limited to 1000 personalizations/)
  })

  suite.case('1001 recipients across to, cc and bcc → 400 personalizations', 'errors (personalizations), limits', async () => {
    const to = Array.from({ length: 500 }, (_, i) => `to${i}@example.org`)
    const cc = Array.from({ length: 500 }, (_, i) => `cc${i}@example.org`)
    await refusedField(officialMail().send(message({ to, cc, bcc: 'one-more@example.org' })), 'personalizations', /1000 total recipients/)
  })

  suite.case('the same address in to and cc (any case) → 400 naming the personalization', 'errors (personalizations), §8', async () => {
    await refusedField(officialMail().send(message({ to: 'tess@example.org', cc: 'TESS@example.org' })), 'personalizations.0', /more than once/)
  })

  suite.case('a personalization without to → 400 personalizations.0.to', 'errors (personalizations), oai required', async () => {
    await refusedField(rawSend(rawBody({ personalizations: [{ cc: [{ email: 'carl@example.org' }] }] })), 'personalizations.0.to', /to parameter is required/)
  })

  suite.case('a recipient that is not an address → 400 personalizations.0.to.0.email', 'errors (personalizations.to)', async () => {
    await refusedField(officialMail().send(message({ to: { email: 'not an address' } })), 'personalizations.0.to.0.email')
  })

  suite.case('a recipient address over 320 characters → 400 personalizations.0.to.0.email', 'errors (personalizations.to)', async () => {
    await refusedField(officialMail().send(message({ to: `${'a'.repeat(64)}@${'b'.repeat(250)}.example` })), 'personalizations.0.to.0.email', /320/)
  })

  suite.case('a recipient name with "," → 400 personalizations.0.to.0.name', 'limits', async () => {
    await refusedField(officialMail().send(message({ to: { email: 'tess@example.org', name: 'Doe, Tess' } })), 'personalizations.0.to.0.name')
  })

  // From, reply_to, subject, content
  suite.case('no from → 400 from', 'errors (from), oai required', async () => {
    const { from: _from, ...body } = rawBody()
    await refusedField(rawSend(body), 'from', /from object must be provided/)
  })

  suite.case('a from address with Unicode → 400 from.email', 'limits', async () => {
    await refusedField(officialMail().send(message({ from: 'adà@example.com' })), 'from.email')
  })

  suite.case('reply_to that is not an address → 400 reply_to.email', 'errors (reply_to)', async () => {
    await refusedField(officialMail().send(message({ replyTo: { email: 'nobody' } })), 'reply_to.email')
  })

  suite.case('no subject anywhere → 400 subject', 'errors (subject)', async () => {
    await refusedField(officialMail().send(message({ subject: undefined as never })), 'subject', /subject is required/)
  })

  suite.case('an empty subject → 400 subject', 'errors (subject), oai minLength', async () => {
    await refusedField(officialMail().send(message({ subject: '' })), 'subject', /at least one character/)
  })

  suite.case('no content and no template → 400 content', 'errors (content)', async () => {
    const { content: _content, ...body } = rawBody()
    await refusedField(rawSend(body), 'content', /content param is required/)
  })

  suite.case('empty content value → 400 content.0.value', 'errors (content.value), §8', async () => {
    await refusedField(officialMail().send(message({ content: [{ type: 'text/plain', value: '' }] } as never)), 'content.0.value', /at least one character/)
  })

  suite.case('text/html before text/plain → 400 content.1.type', 'errors (content.value, RFC 1341 §7.2)', async () => {
    const content = [
      { type: 'text/html', value: '<p>x</p>' },
      { type: 'text/plain', value: 'x' },
    ]
    await refusedField(officialMail().send(message({ text: undefined, content } as never)), 'content.1.type', /text\/plain needs to be first/)
  })

  suite.case('a template id the account does not have → 400 template_id', 'errors (template_id)', async () => {
    await refusedField(officialMail().send(message({ templateId: 'd-unknown' })), 'template_id', /valid template id/)
  })

  suite.case('send_at more than 72 hours ahead → 400 send_at', 'errors (send_at), oai', async () => {
    await refusedField(officialMail().send(message({ sendAt: Math.floor(Date.now() / 1000) + 73 * 3600 })), 'send_at', /72 hours/)
  })

  suite.case('sandbox_mode.enable that is not a boolean → 400 mail_settings.sandbox_mode.enable', 'errors (mail_settings.sandbox_mode.enable)', async () => {
    await refusedField(rawSend(rawBody({ mail_settings: { sandbox_mode: { enable: 'yes' } } })), 'mail_settings.sandbox_mode.enable')
  })

  suite.case('an undocumented member (reply-to instead of reply_to) → 400 naming it [I]', 'oai (members), peer [I]', async () => {
    const r = await refusal(rawSend(rawBody({ 'reply-to': { email: 'help@example.com' } })))
    expect(r.status).toBe(400)
    expect(r.body.errors?.map((e) => e.field)).toEqual(['reply-to'])
  })

  // Transport-level answers
  suite.case('a body that is not JSON → 400', 'errors (400)', async () => {
    const r = await refusal(rawSend('{"personalizations":'))
    expect(r.status).toBe(400)
  })

  suite.case('an unknown API key → 401', '§8, errors', async () => {
    const r = await refusal(officialMail('SG.revoked-key').send(message()))
    expect(r.status).toBe(401)
    expect(r.body).toEqual({ errors: [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked', help: null }] })
  })

  suite.case('no API key at all → 401', '§8, oai', async () => {
    const r = await refusal(officialMail(null).send(message()))
    expect(r.status).toBe(401)
  })

  suite.case('a from address that is not a verified Sender Identity → 403 naming from', '§8', async () => {
    const r = await refusal(officialMail().send(message({ from: 'someone@unverified.example' })))
    expect(r.status).toBe(403)
    expect(r.body.errors?.[0]?.field).toBe('from')
    expect(r.body.errors?.[0]?.message).toMatch(/verified Sender Identity/)
  })

  suite.case(
    'a message over 30 MB → 413',
    '§8, limits',
    async () => {
      const content = Buffer.alloc(23 * 1024 * 1024, 7).toString('base64')
      const r = await refusal(officialMail().send(message({ attachments: [{ content, filename: 'big.bin' }] })))
      expect(r.status).toBe(413)
    },
    60_000,
  )

  suite.case('over the rate limit → 429 with X-RateLimit-Limit, -Remaining and -Reset', '§8, errors (429) [I headers]', async () => {
    peer.setRateLimit({ limit: 1, windowMs: 60_000 })
    const mail = officialMail()
    expect((await mail.send(message()))[0].statusCode).toBe(202)
    const r = await refusal(mail.send(message()))
    expect(r.status).toBe(429)
    expect(r.headers['x-ratelimit-limit']).toBe('1')
    expect(r.headers['x-ratelimit-remaining']).toBe('0')
    expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 - 1)
    expect(r.body.errors?.[0]?.message).toBe('too many requests')
  })

  suite.case('another method on /v3/mail/send → 405; another path → 404', 'errors (404, 405)', async () => {
    const client = officialClient()
    expect((await refusal(client.request({ method: 'GET', url: '/v3/mail/send' }))).status).toBe(405)
    expect((await refusal(client.request({ method: 'POST', url: '/v3/mail/sned', body: rawBody() }))).status).toBe(404)
  })
})
