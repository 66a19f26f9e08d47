/**
 * Fieldline's SendGrid client sends what SendGrid's official client sends (issue 9, deliverable 4): the same message
 * goes out once through @sendgrid/mail and once through createSendGridMailer, both through a raw node:http server
 * that records the requests as they arrive and forwards them to the SendGrid peer; method, path, headers and body are
 * compared. The one intended difference is User-Agent (each client names itself). @sendgrid/mail also copies the
 * message's mail headers (here Content-Language) into the HTTP request headers; those are mail headers, which the API
 * reads from the body, so Fieldline does not repeat them at the HTTP level and the comparison leaves them out.
 */
import { Client } from '@sendgrid/client'
import { MailService, type MailDataRequired } from '@sendgrid/mail'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSendGridMailer } from '../../src-main/core/mail/sendgrid.client'
import type { OutgoingMail } from '../../src-main/core/mail/mail-validation'
import { startWireCapture, type CapturedRequest, type WireCapture } from '../helpers/wire-capture'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const SENDER = 'admin@example.com'
let peer: SendGridPeer
let wire: WireCapture

beforeAll(async () => {
  peer = await startSendGridPeer({ verifiedSenders: [SENDER] })
  wire = await startWireCapture(peer.url)
})

afterAll(async () => {
  await wire?.close()
  await peer?.close()
})

beforeEach(() => wire.clear())

function official(): MailService {
  const client = new Client()
  client.setApiKey(DEFAULT_API_KEY)
  client.setDefaultRequest('baseUrl', `${wire.url}/`)
  client.setDefaultRequest('proxy' as never, false as never)
  const mail = new MailService()
  mail.setClient(client)
  return mail
}

async function ours(send: (mailer: ReturnType<typeof createSendGridMailer>) => Promise<unknown>, fromName?: string): Promise<CapturedRequest> {
  const mailer = createSendGridMailer({ baseUrl: wire.url, apiKey: DEFAULT_API_KEY, from: { address: SENDER, ...(fromName ? { name: fromName } : {}) } })
  try {
    await send(mailer)
  } finally {
    await mailer.close()
  }
  return wire.requests.at(-1)!
}

async function theirs(data: MailDataRequired): Promise<CapturedRequest> {
  await official().send(data)
  return wire.requests.at(-1)!
}

/** The HTTP headers that carry meaning for the API (not transport, not the client's name). */
function apiHeaders(r: CapturedRequest): Record<string, string> {
  const { authorization, 'content-type': type, accept } = r.headers
  return { authorization: authorization ?? '', 'content-type': type ?? '', accept: accept ?? '' }
}

const mail = (over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  from: { address: SENDER, name: 'Ada Admin' },
  to: { address: 'tess@example.org', name: 'Tess' },
  subject: 'Invitation',
  text: 'Hello Tess',
  html: '<p>Hello Tess</p>',
  language: 'en',
  ...over,
})

describe('our SendGrid client on the wire, next to @sendgrid/mail', () => {
  it('sends a message with the same method, path, API headers and body', async () => {
    const mine = await ours((m) => m.send(mail()), 'Ada Admin')
    const reference = await theirs({
      to: { email: 'tess@example.org', name: 'Tess' },
      from: { email: SENDER, name: 'Ada Admin' },
      subject: 'Invitation',
      text: 'Hello Tess',
      html: '<p>Hello Tess</p>',
      headers: { 'Content-Language': 'en' },
    })
    expect(mine.method).toBe('POST')
    expect([mine.method, mine.path, mine.rawQuery]).toEqual([reference.method, reference.path, reference.rawQuery])
    expect(apiHeaders(mine)).toEqual(apiHeaders(reference))
    expect(apiHeaders(mine)).toEqual({ authorization: `Bearer ${DEFAULT_API_KEY}`, 'content-type': 'application/json', accept: 'application/json' })
    expect(JSON.parse(mine.text)).toEqual(JSON.parse(reference.text))
    expect(mine.headers['user-agent']).toBe('Fieldline')
    expect(reference.headers['user-agent']).toMatch(/^sendgrid\/8\.\d+\.\d+;nodejs$/)
  })

  it('leaves out empty values as the official client does: no name when there is none', async () => {
    const mine = await ours((m) => m.send(mail({ from: { address: SENDER }, to: { address: 'tess@example.org' } })))
    const reference = await theirs({ to: 'tess@example.org', from: SENDER, subject: 'Invitation', text: 'Hello Tess', html: '<p>Hello Tess</p>', headers: { 'Content-Language': 'en' } })
    const body = JSON.parse(mine.text) as { from: object; personalizations: { to: object[] }[] }
    expect(body.from).toEqual({ email: SENDER })
    expect(body.personalizations[0]!.to[0]).toEqual({ email: 'tess@example.org' })
    expect(body).toEqual(JSON.parse(reference.text))
    expect(mine.text).not.toMatch(/:""|:null|:\[\]|:\{\}/)
  })

  it('sends the settings check in sandbox mode as the official client writes mail_settings', async () => {
    const mine = await ours((m) => m.verify(), 'Ada Admin')
    const body = JSON.parse(mine.text) as Record<string, unknown>
    const reference = await theirs({
      to: SENDER,
      from: { email: SENDER, name: 'Ada Admin' },
      subject: body.subject as string,
      text: 'x',
      mailSettings: { sandboxMode: { enable: true } },
    })
    expect(body.mail_settings).toEqual({ sandbox_mode: { enable: true } })
    expect(body.mail_settings).toEqual((JSON.parse(reference.text) as Record<string, unknown>).mail_settings)
    expect(apiHeaders(mine)).toEqual(apiHeaders(reference))
  })
})
