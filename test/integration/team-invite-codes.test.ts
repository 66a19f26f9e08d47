/**
 * Invitations that can be accepted, against express-pouchdb with CouchDB's own users (test/peers/couchdb, `couchUsers`)
 * and the SendGrid peer: an invitation made by a server admin creates the invitee's CouchDB user with the invited role
 * and emails a code; `sync:join` spends it (a second join is refused by the server); a revocation removes the user, so
 * the code and a computer that joined with it are refused; without an account that may create users the invitation
 * goes without a code and the check says why; and the one-time password is in no document, audit entry or log.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createCore } from '../../src-main/core/app'
import { parseInvitationCode } from '../../src-main/core/sync/invitation-code'
import { syncSecretAccount } from '../../src-main/core/sync/sync.store'
import { vaultUnavailable } from '../../src-main/core/vault/keytar.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import type { ChannelName, ErrorInfo, Input, Output } from '../../src-shared/contract'
import { tempDir } from '../helpers/core'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const ADMIN = { name: 'couchadmin', password: 'couchadmin-pw' }
const DB = 'invite-team'
const SENDER = 'admin@example.com'

let couch: CouchPeer
let sendgrid: SendGridPeer
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  couch = await startCouchPeer({ couchUsers: { admin: ADMIN.name, password: ADMIN.password } })
  sendgrid = await startSendGridPeer()
  await couch.addUser('olga', 'olga-pw', ['operator'])
})

afterAll(async () => {
  await sendgrid.close()
  await couch.close()
})

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A real core with its real logger (logs in the data folder, searched for secrets below) and an in-memory vault. */
async function workspace(vault: SecretStore = createMemoryStore()) {
  const { dir, cleanup } = await tempDir('fieldline-invite-')
  const core = await createCore({ dataDir: dir, mode: 'serve', vault })
  cleanups.push(async () => {
    await core.close()
    await cleanup()
  })
  async function call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>> {
    const r = await core.dispatcher.invoke(channel, input)
    if (!r.ok) throw Object.assign(new Error(r.error.message), { bridge: r.error })
    return r.value as Output<C>
  }
  // The vault as the workspace names its accounts.
  return { dir, vault: core.vault, core, call }
}

type Workspace = Awaited<ReturnType<typeof workspace>>

async function refusal(promise: Promise<unknown>): Promise<ErrorInfo> {
  try {
    await promise
  } catch (e) {
    return (e as { bridge: ErrorInfo }).bridge
  }
  throw new Error('expected a refusal')
}

/** Email through the SendGrid peer, as an administrator configures it. */
async function withMail(w: Workspace): Promise<void> {
  await w.call('mail:saveSettings', {
    mode: 'sendgridApiKey',
    organisation: 'Acme',
    settings: { adminName: 'Ada Admin', adminEmail: SENDER, baseUrl: sendgrid.url },
    secrets: { apiKey: DEFAULT_API_KEY },
  })
}

/** The inviting administrator: email through SendGrid, team sync signed in as the server admin, the database set up. */
async function inviter(user = ADMIN): Promise<Workspace> {
  const w = await workspace()
  await withMail(w)
  await w.call('sync:saveSettings', { url: couch.url, database: DB, username: user.name, secrets: { password: user.password } })
  if (user === ADMIN) await w.call('sync:setup', {})
  return w
}

/** The text and HTML parts of the last message sent to `address`. */
function lastMailTo(address: string): { text: string; html: string } {
  const message = sendgrid
    .messages()
    .filter((m) => m.body.personalizations[0]?.to[0]?.email === address)
    .at(-1)
  if (!message) throw new Error(`no message to ${address}`)
  const part = (type: string) => message.body.content.find((c) => c.type === type)?.value ?? ''
  return { text: part('text/plain'), html: part('text/html') }
}

function codeIn(text: string): string {
  const code = /^(FLJ1\.[A-Za-z0-9_-]+)$/m.exec(text)?.[1]
  if (!code) throw new Error(`no invitation code in:\n${text}`)
  return code
}

async function sessionStatus(user: string, password: string): Promise<number> {
  return (await fetch(`${couch.url}/_session`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } })).status
}

async function userDoc(user: string): Promise<{ status: number; roles?: string[] }> {
  const res = await fetch(`${couch.url}/_users/org.couchdb.user:${user}`, { headers: { authorization: `Basic ${Buffer.from(`${ADMIN.name}:${ADMIN.password}`).toString('base64')}` } })
  return res.status === 200 ? { status: 200, roles: ((await res.json()) as { roles: string[] }).roles } : { status: res.status }
}

/** Every file under `dir` (LevelDB tables and logs, the log files) that holds `secret`. */
async function filesHolding(dir: string, secret: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    if ((await readFile(path)).includes(secret)) found.push(path)
  }
  return found
}

async function allDocsText(w: Workspace): Promise<string> {
  const rows = (await w.core.workspace.db.allDocs({ include_docs: true })).rows
  return JSON.stringify(rows)
}

describe('an invitation made with a server admin', () => {
  it('creates the invitee’s CouchDB user with the role and emails a code, in both parts, that signs in once; the password is stored nowhere', async () => {
    const ada = await inviter()
    expect(await ada.call('team:inviteCheck', {})).toEqual({ codes: true, reason: null, server: { url: couch.url, database: DB } })
    const invitation = await ada.call('team:invite', { name: 'Oscar', email: 'Oscar.Op@example.org', role: 'operator', language: 'fr' })
    expect(invitation).toMatchObject({ state: 'sent', account: { url: couch.url, database: DB, user: 'oscar.op' } })
    expect(await userDoc('oscar.op')).toEqual({ status: 200, roles: ['operator'] })

    const mail = lastMailTo('Oscar.Op@example.org')
    const code = codeIn(mail.text)
    expect(mail.html).toContain(code)
    expect(mail.text).toContain('Paramètres → Synchronisation d’équipe → «\u00a0Rejoindre avec un code d’invitation\u00a0»')
    expect(mail.text).toContain('fieldline sync join CODE')
    const { password, user } = parseInvitationCode(code)
    expect(user).toBe('oscar.op')
    expect(await sessionStatus(user, password)).toBe(200)

    // Not in any document (invitations and the audit trail replicate), nor in the workspace's files or logs.
    expect(await allDocsText(ada)).not.toContain(password)
    expect(await filesHolding(ada.dir, password)).toEqual([])
    const trail = await ada.call('audit:list', { query: 'invitation', offset: 0, limit: 10 })
    expect(trail.items.map((e) => e.action).sort()).toEqual(['invitation.create', 'invitation.send'])
  })

  it('takes a chosen user name as it is: made when free, refused when taken or malformed, writing nothing', async () => {
    const ada = await inviter()
    const chosen = await ada.call('team:invite', { name: 'Lou', email: 'lou@example.org', role: 'viewer', user: 'lou.field' })
    expect(chosen.account?.user).toBe('lou.field')
    expect(await userDoc('lou.field')).toEqual({ status: 200, roles: ['viewer'] })
    expect(parseInvitationCode(codeIn(lastMailTo('lou@example.org').text)).user).toBe('lou.field')

    const before = (await ada.call('team:list', {})).items.length
    const taken = await refusal(ada.call('team:invite', { name: 'Olga Two', email: 'olga2@example.org', role: 'viewer', user: 'olga' }))
    expect(taken).toMatchObject({ code: 'CONFLICT', details: { ref: { key: 'team.account.nameTaken', params: { user: 'olga' } } } })
    expect(await userDoc('olga')).toEqual({ status: 200, roles: ['operator'] })
    expect((await refusal(ada.call('team:invite', { name: 'Up', email: 'up@example.org', role: 'viewer', user: 'Upper' }))).code).toBe('VALIDATION')
    expect((await ada.call('team:list', {})).items).toHaveLength(before)
  })

  it('is joined once: the code is spent, the role read, the settings saved; a second join and a join over settings are refused, changing nothing', async () => {
    const ada = await inviter()
    await ada.call('team:invite', { name: 'Paula', email: 'paula@example.org', role: 'operator' })
    const code = codeIn(lastMailTo('paula@example.org').text)
    const oneTime = parseInvitationCode(code).password

    const sent = (await ada.call('team:list', {})).items.find((i) => i.email === 'paula@example.org')!
    expect(sent).toMatchObject({ state: 'sent', joinedAt: null })
    const paula = await workspace()
    // Wrapped and quoted as a mail client may leave it when copied.
    const wrapped = `> ${code.slice(0, 40)}\n> ${code.slice(40)}\n`
    expect(await paula.call('sync:join', { code: wrapped })).toEqual({ url: couch.url, database: DB, user: 'paula', role: 'operator' })
    expect(await paula.call('sync:getSettings', {})).toMatchObject({ configured: true, url: couch.url, database: DB, username: 'paula', auth: 'basic', secrets: { password: true } })
    const kept = await paula.vault.get('sync/password')
    expect(kept).not.toBeNull()
    expect(kept).not.toBe(oneTime)
    expect(await sessionStatus('paula', oneTime)).toBe(401)
    expect(await sessionStatus('paula', kept!)).toBe(200)
    expect((await paula.call('sync:status', {})).role).toBe('operator')
    expect((await paula.call('sync:verify', {})).role).toBe('operator')
    const joined = await paula.call('audit:list', { query: 'sync.join', offset: 0, limit: 10 })
    expect(joined.items).toHaveLength(1)
    expect(joined.items[0]).toMatchObject({ outcome: 'ok', after: expect.objectContaining({ role: 'operator', username: 'paula' }) })
    expect(await allDocsText(paula)).not.toContain(kept!)
    expect(await allDocsText(paula)).not.toContain(oneTime)
    expect(await filesHolding(paula.dir, oneTime)).toEqual([])
    expect(await filesHolding(paula.dir, kept!)).toEqual([])

    // The inviter's Team page learns it from Paula's user on the server, records it once, and says when.
    const joinedInvitation = (await ada.call('team:list', {})).items.find((i) => i.id === sent.id)!
    expect(joinedInvitation.state).toBe('joined')
    expect(Date.parse(joinedInvitation.joinedAt!)).toBeGreaterThan(Date.parse(sent.sentAt!))
    expect((await ada.call('team:list', { state: 'joined' })).items.map((i) => i.id)).toEqual([sent.id])
    const recorded = await ada.call('audit:list', { query: 'invitation.joined', offset: 0, limit: 10 })
    expect(recorded.items).toHaveLength(1)
    expect(recorded.items[0]).toMatchObject({ actor: 'fieldline', outcome: 'ok', after: { state: 'joined', joinedAt: joinedInvitation.joinedAt, user: 'paula' } })
    const resent = await refusal(ada.call('team:resend', { id: sent.id }))
    expect(resent.details?.ref).toEqual({ key: 'team.account.joined', params: { user: 'paula' } })

    const again = await workspace()
    const spent = await refusal(again.call('sync:join', { code }))
    expect(spent).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'sync.join.spent' } } })
    expect(spent.message).not.toContain(oneTime)
    expect((await again.call('sync:getSettings', {})).configured).toBe(false)
    expect((await again.call('audit:list', { query: 'sync', offset: 0, limit: 10 })).items).toEqual([])

    // Over settings already there: refused unless replace says so, and nothing changes.
    const over = await refusal(ada.call('sync:join', { code }))
    expect(over.details?.ref).toEqual({ key: 'sync.join.replace', params: { url: couch.url, database: DB } })
    expect((await ada.call('sync:getSettings', {})).username).toBe(ADMIN.name)
  })

  it('stopped after the server took the new password (the keychain refusing the settings), is finished by joining again with the same code', async () => {
    const ada = await inviter()
    await ada.call('team:invite', { name: 'Fay', email: 'fay@example.org', role: 'operator' })
    const code = codeIn(lastMailTo('fay@example.org').text)
    const oneTime = parseInvitationCode(code).password
    // A keychain that takes the join's own entry, then refuses the settings' password (locked meanwhile).
    const store = createMemoryStore()
    let locked = true
    const vault: SecretStore = {
      ...store,
      async set(account, value) {
        // The keychain sees the workspace's names: <workspace id>/sync/password.
        if (locked && account.endsWith(`/${syncSecretAccount('password')}`)) throw vaultUnavailable('the keychain was locked')
        return store.set(account, value)
      },
    }
    const fay = await workspace(vault)
    const stopped = await refusal(fay.call('sync:join', { code }))
    expect(stopped).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'sync.join.unfinished' } } })
    expect(stopped.message).toMatch(/keychain was locked.*join again with the same code/)
    expect(stopped.message).not.toContain(oneTime)
    // The server took the new password: the code alone is spent, and nothing is saved.
    expect(await sessionStatus('fay', oneTime)).toBe(401)
    expect((await fay.call('sync:getSettings', {})).configured).toBe(false)
    expect((await refusal(fay.call('sync:join', { code }))).details?.ref?.key).toBe('sync.join.unfinished')

    locked = false
    expect(await fay.call('sync:join', { code })).toEqual({ url: couch.url, database: DB, user: 'fay', role: 'operator' })
    const kept = await fay.vault.get(syncSecretAccount('password'))
    expect(await sessionStatus('fay', kept!)).toBe(200)
    expect(await fay.vault.get(syncSecretAccount('joining'))).toBeNull()
    expect((await fay.call('sync:verify', {})).role).toBe('operator')
    const joined = await fay.call('audit:list', { query: 'sync.join', offset: 0, limit: 10 })
    expect(joined.items.map((e) => e.outcome)).toEqual(['ok'])
    expect(await filesHolding(fay.dir, kept!)).toEqual([])
    // Finished, the code is spent for everyone else, as any used code.
    expect((await refusal((await workspace()).call('sync:join', { code }))).details?.ref?.key).toBe('sync.join.spent')
    expect((await ada.call('team:list', {})).items.find((i) => i.email === 'fay@example.org')?.state).toBe('joined')
  })

  it('with a keychain that refuses from the start, spends nothing: the same code joins once the keychain works', async () => {
    const ada = await inviter()
    await ada.call('team:invite', { name: 'Gus', email: 'gus@example.org', role: 'viewer' })
    const code = codeIn(lastMailTo('gus@example.org').text)
    const store = createMemoryStore()
    let locked = true
    const vault: SecretStore = {
      ...store,
      async set(account, value) {
        if (locked) throw vaultUnavailable('no keychain')
        return store.set(account, value)
      },
    }
    const gus = await workspace(vault)
    expect((await refusal(gus.call('sync:join', { code }))).code).toBe('VAULT_UNAVAILABLE')
    expect(await sessionStatus('gus', parseInvitationCode(code).password)).toBe(200)
    locked = false
    expect((await gus.call('sync:join', { code })).role).toBe('viewer')
  })

  it('refuses malformed codes and codes for another server before anything changes', async () => {
    const w = await workspace()
    for (const code of ['hello', 'FLJ1.', 'FLJ1.not*base64', `FLJ1.${Buffer.from('{"u":1}').toString('base64url')}`]) {
      expect((await refusal(w.call('sync:join', { code }))).details?.ref?.key).toBe('sync.join.malformed')
    }
    expect((await refusal(w.call('sync:join', { code: 'FLJ2.abc' }))).details?.ref?.key).toBe('sync.join.newer')
    const elsewhere = `FLJ1.${Buffer.from(JSON.stringify({ u: 'http://couch.example.com', d: DB, n: 'x', p: 'p'.repeat(32), a: 'basic' })).toString('base64url')}`
    expect((await refusal(w.call('sync:join', { code: elsewhere }))).code).toBe('VALIDATION')
    expect((await w.call('sync:getSettings', {})).configured).toBe(false)
  })

  it('revoked, removes the user: the unused code and a computer that joined are both refused; unreachable, the revoke says so and changes nothing', async () => {
    const ada = await inviter()
    await ada.call('team:invite', { name: 'Vic', email: 'vic@example.org', role: 'viewer' })
    const vicInvitation = (await ada.call('team:list', {})).items.find((i) => i.email === 'vic@example.org')!
    const vic = await workspace()
    await vic.call('sync:join', { code: codeIn(lastMailTo('vic@example.org').text) })
    expect((await vic.call('sync:verify', {})).role).toBe('viewer')

    await ada.call('team:invite', { name: 'Una', email: 'una@example.org', role: 'operator' })
    const una = (await ada.call('team:list', {})).items.find((i) => i.email === 'una@example.org')!
    const unaCode = codeIn(lastMailTo('una@example.org').text)

    expect(await ada.call('team:revoke', { id: vicInvitation.id })).toMatchObject({ state: 'revoked' })
    expect(await userDoc('vic')).toEqual({ status: 404 })
    expect((await refusal(vic.call('sync:verify', {}))).code).toBe('AUTH_FAILED')
    const revokeEntry = (await ada.call('audit:list', { query: 'invitation.revoke', offset: 0, limit: 10 })).items[0]
    expect(revokeEntry?.after).toMatchObject({ accountRemoved: 'vic' })

    await couch.stop()
    try {
      const offline = await refusal(ada.call('team:revoke', { id: una.id }))
      expect(offline.code).toBe('NETWORK')
      expect((await ada.call('team:list', {})).items.find((i) => i.id === una.id)?.state).toBe('sent')
    } finally {
      await couch.start()
    }
    await ada.call('team:revoke', { id: una.id })
    const nobody = await workspace()
    expect((await refusal(nobody.call('sync:join', { code: unaCode }))).details?.ref?.key).toBe('sync.join.spent')
    // Deleting an invitation whose user is still there would hide it: refused until it is revoked.
    await ada.call('team:invite', { name: 'Rita', email: 'rita@example.org', role: 'viewer' })
    const rita = (await ada.call('team:list', {})).items.find((i) => i.email === 'rita@example.org')!
    expect((await refusal(ada.call('team:remove', { id: rita.id }))).details?.ref?.key).toBe('team.account.revokeFirst')
  })

  it('revoked, acts only on the invitation’s own server as its server admin, whatever database team sync uses there; else says which server it needs and changes nothing', async () => {
    const ada = await inviter()
    const wes = await ada.call('team:invite', { name: 'Wes', email: 'wes@example.org', role: 'viewer' })
    const stillSent = async (w: Workspace) => {
      expect(await userDoc('wes')).toEqual({ status: 200, roles: ['viewer'] })
      expect((await w.call('team:list', {})).items.find((i) => i.id === wes.id)?.state).toBe('sent')
    }

    // On the server, but signed in as an operator, who may not remove a user.
    await ada.call('sync:saveSettings', { url: couch.url, database: DB, username: 'olga', secrets: { password: 'olga-pw' } })
    const operator = await refusal(ada.call('team:revoke', { id: wes.id }))
    expect(operator).toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'team.account.notAdmin', params: { user: 'wes', url: couch.url, signedIn: 'olga' } } } })
    await stillSent(ada)

    // Another server: its users are not the invitation's.
    const elsewhere = await startCouchPeer({ couchUsers: { admin: ADMIN.name, password: ADMIN.password } })
    try {
      await ada.call('sync:saveSettings', { url: elsewhere.url, database: DB, username: ADMIN.name, secrets: { password: ADMIN.password } })
      const other = await refusal(ada.call('team:revoke', { id: wes.id }))
      expect(other).toMatchObject({ code: 'CONFLICT', details: { ref: { key: 'team.account.otherServer', params: { user: 'wes', url: couch.url, current: elsewhere.url } } } })
      expect(other.message).toContain(couch.url)
      await stillSent(ada)
    } finally {
      await elsewhere.close()
    }

    // A computer the invitation reached without team sync set up.
    const bea = await workspace()
    const { _rev: _ignored, ...invitation } = await ada.core.workspace.db.get(`invitation:${wes.id}`)
    await bea.core.workspace.db.put(invitation)
    const none = await refusal(bea.call('team:revoke', { id: wes.id }))
    expect(none).toMatchObject({ code: 'CONFLICT', details: { ref: { key: 'team.account.noServer', params: { user: 'wes', url: couch.url } } } })
    await stillSent(bea)

    // The same server as the admin, written with a trailing '/' and another team database: the user is the server's.
    await ada.call('sync:saveSettings', { url: `${couch.url}/`, database: 'another-team', username: ADMIN.name, secrets: { password: ADMIN.password } })
    expect(await ada.call('team:revoke', { id: wes.id })).toMatchObject({ state: 'revoked' })
    expect(await userDoc('wes')).toEqual({ status: 404 })
  })

  it('sent again, carries a new password: the old code stops working; once joined, it is not sent again', async () => {
    const ada = await inviter()
    const first = await ada.call('team:invite', { name: 'Rémi', email: 'remi@example.org', role: 'operator' })
    const oldCode = codeIn(lastMailTo('remi@example.org').text)
    await ada.call('team:resend', { id: first.id })
    const newCode = codeIn(lastMailTo('remi@example.org').text)
    expect(newCode).not.toBe(oldCode)
    expect(await sessionStatus('remi', parseInvitationCode(oldCode).password)).toBe(401)
    const remi = await workspace()
    await remi.call('sync:join', { code: newCode })
    expect((await refusal(ada.call('team:resend', { id: first.id }))).details?.ref?.key).toBe('team.account.joined')
  })
})

describe('an invitation made without an account that may create users', () => {
  it('goes without a code, and the check says why first (no team sync; an operator)', async () => {
    const w = await workspace()
    await withMail(w)
    const none = await w.call('team:inviteCheck', {})
    expect(none).toMatchObject({ codes: false, server: null, reason: { details: { ref: { key: 'team.code.noSync' } } } })

    await w.call('sync:saveSettings', { url: couch.url, database: DB, username: 'olga', secrets: { password: 'olga-pw' } })
    const operator = await w.call('team:inviteCheck', {})
    expect(operator).toMatchObject({ codes: false, reason: { details: { ref: { key: 'team.code.notAdmin', params: { user: 'olga' } } } } })
    const sent = await w.call('team:invite', { name: 'Nina', email: 'nina@example.org', role: 'viewer' })
    expect(sent).toMatchObject({ state: 'sent', account: null })
    const mail = lastMailTo('nina@example.org')
    expect(mail.text).not.toContain('FLJ1.')
    expect(mail.text).toContain('ask Ada Admin for the address of the team workspace')
    expect(await userDoc('nina')).toEqual({ status: 404 })
    // A user name is a promise of a user on the team server: refused when none can be made, and nothing is sent.
    const sentBefore = sendgrid.messages().length
    const named = await refusal(w.call('team:invite', { name: 'Ned', email: 'ned@example.org', role: 'viewer', user: 'ned' }))
    expect(named).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'team.account.nameWithoutCode' } } })
    expect(sendgrid.messages()).toHaveLength(sentBefore)
    expect((await w.call('team:list', {})).items.map((i) => i.email)).toEqual(['nina@example.org'])
    // Revoked, there is no user to remove: it is recorded as before.
    expect(await w.call('team:revoke', { id: sent.id })).toMatchObject({ state: 'revoked' })
  })
})

describe('the test server', () => {
  it('refuses a user who changes their own roles, and lets them change their password (as CouchDB does)', async () => {
    await couch.addUser('selfish', 'selfish-pw', ['viewer'])
    const auth = { authorization: `Basic ${Buffer.from('selfish:selfish-pw').toString('base64')}`, 'content-type': 'application/json' }
    const doc = (await (await fetch(`${couch.url}/_users/org.couchdb.user:selfish`, { headers: auth })).json()) as Record<string, unknown>
    const promote = await fetch(`${couch.url}/_users/org.couchdb.user:selfish`, { method: 'PUT', headers: auth, body: JSON.stringify({ ...doc, roles: ['administrator'] }) })
    expect(promote.status).toBe(403)
    expect(await userDoc('selfish')).toEqual({ status: 200, roles: ['viewer'] })
    const renew = await fetch(`${couch.url}/_users/org.couchdb.user:selfish`, { method: 'PUT', headers: auth, body: JSON.stringify({ ...doc, password: 'selfish-pw-2' }) })
    expect(renew.status).toBe(201)
    expect(await sessionStatus('selfish', 'selfish-pw-2')).toBe(200)
  })
})
