/**
 * `fieldline sync …` as a process against express-pouchdb with CouchDB users (test/peers/couchdb): setup (idempotent),
 * a one-shot sync, status, a conflict made by a teammate's version written on the server, listed and resolved, and bad
 * usage; an invitation with a code from `team invite`, joined with `sync join` once (`-` reads it from stdin), and
 * refused the second time. The password goes to the keychain, so the suite needs an unlocked Secret Service (the dbus
 * recipe).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAppError } from '../../src-main/core/common/errors'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { runCli } from '../helpers/cli-process'
import { syncSecretAccount } from '../../src-main/core/sync/sync.store'
import { keychainAccount, tempDir, testCore } from '../helpers/core'
import { missingService } from '../helpers/system'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { DEFAULT_API_KEY, startSendGridPeer } from '../peers/sendgrid/sendgrid.peer'
import { freePort } from '../helpers/ports'

const ADMIN = { name: 'cli-admin', password: 'cli-admin-pw' }
const AUTH = { authorization: `Basic ${Buffer.from(`${ADMIN.name}:${ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' }

let peer: CouchPeer
let skip: string | null = null
let dir: { dir: string; cleanup: () => Promise<void> }

beforeAll(async () => {
  const store = createKeytarStore()
  try {
    await store.set('sync-cli-probe/write', 'probe')
    await store.clear('sync-cli-probe/write')
  } catch (e) {
    if (!isAppError(e) || e.code !== 'VAULT_UNAVAILABLE') throw e
    skip = missingService('gnome-keyring', `the session bus has no unlocked Secret Service: ${e.message}`)
    return
  }
  peer = await startCouchPeer({ couchUsers: { admin: ADMIN.name, password: ADMIN.password } })
  await peer.addUser('cli-vic', 'cli-vic-pw', ['viewer'])
  dir = await tempDir('fieldline-sync-cli-')
})

afterAll(async () => {
  await peer?.close()
  await dir?.cleanup()
})

describe('fieldline sync', () => {
  it('sets up, syncs once, lists and resolves a conflict, and refuses bad usage', async (ctx) => {
    if (skip) ctx.skip(skip)
    const env = { FIELDLINE_SYNC_PASSWORD: ADMIN.password }
    const setup = await runCli(dir.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-team', '--user', ADMIN.name, '--share', 'devices,audit'], env)
    expect(setup, setup.err).toMatchObject({ code: 0 })
    expect(setup.out).toMatch(/database\s+created\n_security\s+written\nvalidation\s+written/)
    const again = await runCli(dir.dir, ['sync', 'setup'])
    expect(again.out).toMatch(/database\s+exists\n_security\s+unchanged\nvalidation\s+unchanged/)

    expect((await runCli(dir.dir, ['devices', 'add', 'meter', 'c-1'])).code).toBe(0)
    const once = await runCli(dir.dir, ['sync', 'start', '--once'])
    expect(once, once.err).toMatchObject({ code: 0 })
    expect(once.err).toMatch(/sync live/)
    // How far the sync has got, while it syncs, and what it moved in all: "syncing" alone used to be all there was.
    expect(once.err).toMatch(/^fieldline: first sync: reaching the server \(\d+ s\)$/m)
    expect(once.err).toMatch(/^fieldline: sync: [1-9]\d* pushed, \d+ pulled \(\d+ s\)$/m)
    const doc = (await (await fetch(`${peer.url}/cli-team/device:meter:c-1?revs=true`, { headers: AUTH })).json()) as { _rev: string; _revisions: { start: number; ids: string[] } }
    expect(doc._rev).toBeDefined()

    // A teammate's version of the same device, a sibling of ours, on the server: the next sync pulls it in as a conflict.
    const sibling = {
      ...doc,
      description: 'theirs',
      _rev: `${doc._revisions.start}-${'0'.repeat(32)}`,
      _revisions: { start: doc._revisions.start, ids: ['0'.repeat(32), ...doc._revisions.ids.slice(1)] },
    }
    await fetch(`${peer.url}/cli-team/_bulk_docs`, { method: 'POST', headers: AUTH, body: JSON.stringify({ new_edits: false, docs: [sibling] }) })
    expect((await runCli(dir.dir, ['sync', 'start', '--once'])).code).toBe(0)
    const conflicts = await runCli(dir.dir, ['--json', 'sync', 'conflicts'])
    const listed = JSON.parse(conflicts.out) as { total: number; items: { id: string; versions: { rev: string; side: string }[] }[] }
    expect(listed.total).toBe(1)
    expect(listed.items[0]!.versions.find((v) => v.side === 'theirs')!.rev).toBe(sibling._rev)

    const plain = await runCli(dir.dir, ['sync', 'conflicts'])
    expect(plain.out).toMatch(/^meter \/ c-1\tdevice:meter:c-1\n {2}\d+-/)
    const resolved = await runCli(dir.dir, ['sync', 'resolve', 'device:meter:c-1', '--keep', 'theirs'])
    expect(resolved, resolved.err).toMatchObject({ code: 0 })
    expect(resolved.out).toMatch(/removed/)
    expect(JSON.parse((await runCli(dir.dir, ['--json', 'sync', 'conflicts'])).out)).toMatchObject({ total: 0 })
    expect((await runCli(dir.dir, ['devices', 'list', '--columns', 'deviceId,description'])).out).toMatch(/c-1.*theirs/)

    const status = await runCli(dir.dir, ['sync', 'status'])
    expect(status.out).toMatch(/state\s+stopped/)
    expect(status.out).not.toMatch(/last sync\s+never/)
    // Stopped, and in a new process: the role is the one the server gave at the last start.
    expect(status.out).toMatch(/role\s+administrator \(as of \d{4}-\d\d-\d\dT/)

    const badShare = await runCli(dir.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-team', '--share', 'devices,secrets'])
    expect(badShare.code).toBe(2)
    expect(badShare.err).toMatch(/--share takes/)
    const noConflict = await runCli(dir.dir, ['sync', 'resolve', 'device:meter:c-1', '--keep', 'mine'])
    expect(noConflict.code).toBe(1)
    expect(noConflict.err).toMatch(/no conflict to resolve/)
  }, 240_000)

  it("discards a viewer's device the server refused, asking first (--yes without a terminal), and removes it here only", async (ctx) => {
    if (skip) ctx.skip(skip)
    const admin = await tempDir('fieldline-sync-cli-admin-')
    const viewer = await tempDir('fieldline-sync-cli-viewer-')
    try {
      const made = await runCli(admin.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-viewers', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(made, made.err).toMatchObject({ code: 0 })
      // Saved as a viewer (whose setup the server refuses), then a device made before the role is known.
      await runCli(viewer.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-viewers', '--user', 'cli-vic'], { FIELDLINE_SYNC_PASSWORD: 'cli-vic-pw' })
      expect((await runCli(viewer.dir, ['devices', 'add', 'meter', 'v-9'])).code).toBe(0)
      expect((await runCli(viewer.dir, ['sync', 'start', '--once'])).code).toBe(0)
      expect((await runCli(viewer.dir, ['sync', 'status'])).out).toMatch(/refused\s+1\n\s+device:meter:v-9\t.*viewers may only read/)

      const unasked = await runCli(viewer.dir, ['sync', 'discard', 'device:meter:v-9'])
      expect(unasked.code).toBe(2)
      expect(unasked.err).toMatch(/pass --yes to confirm/)
      expect((await runCli(viewer.dir, ['devices', 'list', '--columns', 'deviceId'])).out).toMatch(/v-9/)

      const discarded = await runCli(viewer.dir, ['sync', 'discard', 'device:meter:v-9', '--yes'])
      expect(discarded, discarded.err).toMatchObject({ code: 0, out: 'device:meter:v-9 removed here (the server never had it)\n' })
      expect((await runCli(viewer.dir, ['devices', 'list', '--columns', 'deviceId'])).out).not.toMatch(/v-9/)
      expect((await runCli(viewer.dir, ['sync', 'status'])).out).toMatch(/refused\s+0\n/)
      const again = await runCli(viewer.dir, ['sync', 'discard', 'device:meter:v-9', '--yes'])
      expect(again.code).toBe(2)
      expect(again.err).toMatch(/nothing to discard/)
      expect((await peer.docs('cli-viewers')).map((d) => d._id)).not.toContain('device:meter:v-9')
    } finally {
      await admin.cleanup()
      await viewer.cleanup()
    }
  }, 240_000)

  it('says on a computer without settings that team sync is not set up, in the app’s words, and how to join or set it up', async (ctx) => {
    if (skip) ctx.skip(skip)
    const fresh = await tempDir('fieldline-sync-none-')
    try {
      const status = await runCli(fresh.dir, ['sync', 'status'])
      expect(status, status.err).toMatchObject({ code: 0 })
      expect(status.out).toMatch(/^state\s+not set up \(join your team with the code from your invitation email, .*'fieldline sync join CODE'.*'fieldline sync setup --url URL --db NAME'\)$/m)
      expect(status.out).not.toMatch(/stopped|not configured/)
      expect(JSON.parse((await runCli(fresh.dir, ['--json', 'sync', 'status'])).out)).toMatchObject({ configured: false, state: 'stopped' })
    } finally {
      await fresh.cleanup()
    }
  })

  it('ends `sync start` with exit code 1 and its status when the server refuses the credentials, with --once or without', async (ctx) => {
    if (skip) ctx.skip(skip)
    const refusedDir = await tempDir('fieldline-sync-refused-')
    try {
      // Saved while the server took it, then the password changed there: the saved one is refused.
      await peer.addUser('cli-ron', 'cli-ron-pw', ['operator'])
      const setup = await runCli(refusedDir.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-team', '--user', 'cli-ron'], { FIELDLINE_SYNC_PASSWORD: 'cli-ron-pw' })
      expect(setup, setup.err).toMatchObject({ code: 0 })
      await peer.addUser('cli-ron', 'cli-ron-changed', ['operator'])
      for (const args of [
        ['sync', 'start'],
        ['sync', 'start', '--once'],
      ]) {
        // Without a signal or the end of the run, the command used to exit in the middle of its stop (code 13, Node's
        // "unsettled top-level await"), never printing the status.
        const refused = await runCli(refusedDir.dir, args)
        expect(refused.code, `${args.join(' ')}: ${refused.err}`).toBe(1)
        expect(refused.err).toMatch(/sync error: .*refused/)
        expect(refused.err).not.toMatch(/unsettled top-level await/)
        expect(refused.out).toMatch(/state\s+stopped/)
      }
    } finally {
      await refusedDir.cleanup()
    }
  }, 120_000)

  it('ends `sync setup` and `sync start` with exit code 1 when another server answers at the address, in words, not as offline', async (ctx) => {
    if (skip) ctx.skip(skip)
    // A web server where the team server was expected: every request gets a page, or JSON of another shape.
    for (const body of ['<html><body>Welcome to nginx!</body></html>', JSON.stringify({ ok: true, results: 'none', update_seq: 'x' })]) {
      const other = createServer((_req, res) => res.writeHead(200, { 'content-type': body.startsWith('<') ? 'text/html' : 'application/json' }).end(body))
      const otherDir = await tempDir('fieldline-sync-other-')
      try {
        // Saved offline while nothing answered at the address (the only way settings for it are saved), then it answers.
        const port = await freePort()
        const url = `http://127.0.0.1:${port}`
        const args = ['sync', 'setup', '--url', url, '--db', 'cli-team', '--user', ADMIN.name]
        const offline = await runCli(otherDir.dir, [...args, '--offline'], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
        expect(offline, offline.err).toMatchObject({ code: 0 })
        await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve))
        // Its every 200 used to reach the validation's write: "answered HTTP 200 when asked to write the validation".
        for (const setup of [await runCli(otherDir.dir, ['sync', 'setup']), await runCli(otherDir.dir, [...args, '--offline'], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })]) {
          expect(setup.code, setup.err).toBe(1)
          expect(setup.err).toMatch(/The server at the team sync address answered, but not as a CouchDB or Cloudant server does/)
          expect(setup.err).not.toMatch(/HTTP 200/)
        }
        // It used to be "offline: The sync server cannot be reached: invalid json response body …" (or PouchDB's own
        // TypeError), retried for ever: --once never ended.
        const started = await runCli(otherDir.dir, ['sync', 'start', '--once'])
        expect(started.code, started.err).toBe(1)
        expect(started.err).toMatch(/sync error: The server at the team sync address answered, but not as a CouchDB or Cloudant server does/)
        expect(started.err).not.toMatch(/sync offline/)
      } finally {
        await new Promise((resolve) => other.close(resolve))
        await otherDir.cleanup()
      }
    }
  }, 120_000)

  it('lists the profiles two computers gave one name, which sync as two documents and no conflict', async (ctx) => {
    if (skip) ctx.skip(skip)
    const first = await tempDir('fieldline-sync-namesake-1-')
    const second = await tempDir('fieldline-sync-namesake-2-')
    try {
      for (const [dir, name] of [
        [first.dir, 'Jasper Nord'],
        [second.dir, 'jasper nord '],
      ] as const) {
        const core = await testCore(dir)
        await core.call('profiles:save', { extension: 'jasper', name, settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'k' } })
        await core.close()
        const setup = await runCli(dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-namesakes', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
        expect(setup, setup.err).toMatchObject({ code: 0 })
      }
      for (const dir of [first.dir, second.dir, first.dir]) expect((await runCli(dir, ['sync', 'start', '--once'])).code).toBe(0)
      // Nothing said so: "0 conflicted documents", and two « Jasper Nord », both default.
      const listed = await runCli(first.dir, ['sync', 'conflicts'])
      expect(listed.out).toMatch(/^jasper profiles named alike\t(Jasper Nord|jasper nord) \(jasper-nord-\w+\), (Jasper Nord|jasper nord) \(jasper-nord-\w+\)\trename or delete all but one/m)
      expect(listed.err).toMatch(/0 conflicted documents; 1 name shared by several profiles/)
      expect(JSON.parse((await runCli(first.dir, ['--json', 'sync', 'conflicts'])).out).namesakes).toHaveLength(1)
    } finally {
      await first.cleanup()
      await second.cleanup()
    }
  }, 180_000)

  it('says where the password goes when `sync setup` is given a user and no password', async (ctx) => {
    if (skip) ctx.skip(skip)
    const bare = await tempDir('fieldline-sync-bare-')
    try {
      // Cold trial: "… and they are not both saved", with nothing on what to do about it.
      const setup = await runCli(bare.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-team', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: '' })
      expect(setup.code).toBe(2)
      expect(setup.err).toContain('give them to sync setup (--user, and the password in FIELDLINE_SYNC_PASSWORD)')
    } finally {
      await bare.cleanup()
    }
  }, 60_000)
})

describe('fieldline sync setup checks the server before it saves', () => {
  /** What setup would have saved: the settings (`sync status`) and the password in the keychain. */
  async function savedIn(dir: string): Promise<{ status: string; password: string | null }> {
    const status = (await runCli(dir, ['sync', 'status'])).out.split('\n')[0] ?? ''
    return { status, password: await createKeytarStore().get(await keychainAccount(dir, syncSecretAccount('password'))) }
  }

  it('saves nothing when the server refuses the credentials, is not CouchDB, or cannot be reached (unless --offline)', async (ctx) => {
    if (skip) ctx.skip(skip)
    const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>'))
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const fresh = await tempDir('fieldline-sync-checked-')
    try {
      const down = `http://127.0.0.1:${await freePort()}`
      const cases = [
        { url: peer.url, user: ADMIN.name, password: 'cli-wrong-pw', says: /refused this computer's sign-in \(it said: Name or password is incorrect\.\)/ },
        { url: `http://127.0.0.1:${(other.address() as AddressInfo).port}`, user: ADMIN.name, password: ADMIN.password, says: /answered, but not as a CouchDB or Cloudant server does/ },
        { url: down, user: ADMIN.name, password: ADMIN.password, says: /cannot be reached \(ECONNREFUSED\), so the settings were not saved.*--offline/ },
      ]
      for (const c of cases) {
        const setup = await runCli(fresh.dir, ['sync', 'setup', '--url', c.url, '--db', 'cli-checked', '--user', c.user], { FIELDLINE_SYNC_PASSWORD: c.password })
        expect(setup.code, setup.err).toBe(1)
        expect(setup.err).toMatch(c.says)
        expect(setup.err).not.toContain(c.password)
        expect(await savedIn(fresh.dir)).toEqual({ status: expect.stringMatching(/^state\s+not set up/), password: null })
      }
      // --offline saves over a server that cannot be reached (and says so), never over one that refuses.
      const refused = await runCli(fresh.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-checked', '--user', ADMIN.name, '--offline'], { FIELDLINE_SYNC_PASSWORD: 'cli-wrong-pw' })
      expect(refused.code).toBe(1)
      expect(await savedIn(fresh.dir)).toEqual({ status: expect.stringMatching(/^state\s+not set up/), password: null })
      const offline = await runCli(fresh.dir, ['sync', 'setup', '--url', down, '--db', 'cli-checked', '--user', ADMIN.name, '--offline'], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(offline, offline.err).toMatchObject({ code: 0, out: 'settings     saved, not checked\n' })
      expect(offline.err).toMatch(/Saved without checking: the team sync server cannot be reached \(ECONNREFUSED\); run 'fieldline sync setup' again once it answers/)
      expect(await savedIn(fresh.dir)).toEqual({ status: 'state        stopped', password: ADMIN.password })
    } finally {
      await new Promise((resolve) => other.close(resolve))
      await fresh.cleanup()
    }
  }, 120_000)

  it('refuses a 5xx at GET / (a proxy whose CouchDB is down) saying what the server answered, and saves it unchecked with --offline', async (ctx) => {
    if (skip) ctx.skip(skip)
    const fresh = await tempDir('fieldline-sync-proxy-')
    try {
      const args = ['sync', 'setup', '--url', peer.url, '--db', 'cli-proxy', '--user', ADMIN.name]
      peer.fault({ kind: 'status', status: 502, html: true, path: /^\/$/ })
      const refused = await runCli(fresh.dir, args, { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(refused.code, refused.err).toBe(1)
      expect(refused.err).toMatch(/answered HTTP 502 instead of CouchDB .*so the settings were not saved.*--offline/)
      expect(await savedIn(fresh.dir)).toEqual({ status: expect.stringMatching(/^state\s+not set up/), password: null })
      peer.fault({ kind: 'status', status: 502, html: true, path: /^\/$/ })
      const offline = await runCli(fresh.dir, [...args, '--offline'], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(offline, offline.err).toMatchObject({ code: 0, out: 'settings     saved, not checked\n' })
      expect(offline.err).toMatch(/Saved without checking: the team sync server cannot be reached \(HTTP 502\)/)
      expect(await savedIn(fresh.dir)).toEqual({ status: 'state        stopped', password: ADMIN.password })
    } finally {
      peer.clearFaults()
      await fresh.cleanup()
    }
  }, 120_000)

  it('keeps the working settings and their password when a new setup is refused', async (ctx) => {
    if (skip) ctx.skip(skip)
    const working = await tempDir('fieldline-sync-kept-')
    try {
      const setup = await runCli(working.dir, ['sync', 'setup', '--url', peer.url, '--db', 'cli-kept', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(setup, setup.err).toMatchObject({ code: 0 })
      const before = await savedIn(working.dir)
      const settings = (await runCli(working.dir, ['--json', 'sync', 'status'])).out
      for (const [db, password] of [
        ['cli-kept', 'cli-wrong-pw'],
        ['cli-other', 'cli-wrong-pw'],
      ]) {
        const again = await runCli(working.dir, ['sync', 'setup', '--url', peer.url, '--db', db!, '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: password! })
        expect(again.code).toBe(1)
      }
      expect(await savedIn(working.dir)).toEqual(before)
      expect((await runCli(working.dir, ['--json', 'sync', 'status'])).out).toBe(settings)
      const once = await runCli(working.dir, ['sync', 'start', '--once'])
      expect(once, once.err).toMatchObject({ code: 0 })
      expect(await peer.databases()).not.toContain('cli-other')
    } finally {
      await working.cleanup()
    }
  }, 120_000)
})

describe('fieldline sync join', () => {
  it('joins with the code `team invite` emailed, once; says before sending when an invitation carries no code', async (ctx) => {
    if (skip) ctx.skip(skip)
    const sendgrid = await startSendGridPeer()
    const dirs = await Promise.all([1, 2, 3, 4].map(() => tempDir('fieldline-sync-join-')))
    try {
      const [admin, joiner, other, alone] = dirs.map((d) => d.dir) as [string, string, string, string]
      const mail = { FIELDLINE_SENDGRID_API_KEY: DEFAULT_API_KEY, FIELDLINE_SENDGRID_URL: sendgrid.url, FIELDLINE_MAIL_FROM: 'admin@example.com', FIELDLINE_ORGANISATION: 'Acme' }
      const setup = await runCli(admin, ['sync', 'setup', '--url', peer.url, '--db', 'cli-join', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })
      expect(setup, setup.err).toMatchObject({ code: 0 })
      const invite = await runCli(admin, ['team', 'invite', '--email', 'jo@example.org', '--name', 'Jo', '--role', 'viewer'], mail)
      expect(invite, invite.err).toMatchObject({ code: 0 })
      expect(invite.out).toMatch(/\tsent\tviewer\ten\tJo <jo@example.org>\tuser jo/)
      expect(invite.err).not.toMatch(/no invitation code/)
      const text = sendgrid
        .messages()
        .at(-1)!
        .body.content.find((c) => c.type === 'text/plain')!.value
      const code = /^(FLJ1\.[A-Za-z0-9_-]+)$/m.exec(text)![1]!

      const joined = await runCli(joiner, ['sync', 'join', code])
      expect(joined, joined.err).toMatchObject({ code: 0 })
      expect(joined.out).toMatch(/joined\s+cli-join on http:\/\/127\.0\.0\.1:\d+\nuser\s+jo\nrole\s+viewer/)
      expect(joined.err).toMatch(/fieldline sync start/)
      const status = await runCli(joiner, ['sync', 'status'])
      expect(status.out).toMatch(/role\s+viewer/)
      // The inviter's list says so, from Jo's user on the team server, with when. (The join put Jo's password in this
      // session's one keychain entry: the inviter saves its own again first.)
      expect((await runCli(admin, ['sync', 'setup', '--url', peer.url, '--db', 'cli-join', '--user', ADMIN.name], { FIELDLINE_SYNC_PASSWORD: ADMIN.password })).code).toBe(0)
      const listed = await runCli(admin, ['team', 'list'])
      expect(listed, listed.err).toMatchObject({ code: 0 })
      expect(listed.out).toMatch(/\tjoined\tviewer\ten\tJo <jo@example.org>\tuser jo\tjoined \d{4}-\d\d-\d\dT[\d:.]+Z\n/)

      const again = await runCli(other, ['sync', 'join', '-'], {}, `${code}\n`)
      expect(again.code).toBe(1)
      expect(again.err).toMatch(/used already or the invitation was revoked/)
      const over = await runCli(joiner, ['sync', 'join', code])
      expect(over.code).toBe(2)
      expect(over.err).toMatch(/--replace/)
      const garbage = await runCli(other, ['sync', 'join', 'FLJ1.garbage!'])
      expect(garbage.code).toBe(2)
      expect(garbage.err).toMatch(/not a Fieldline invitation code/)
      expect(garbage.err).not.toContain('garbage!')

      const plain = await runCli(alone, ['team', 'invite', '--email', 'kim@example.org', '--name', 'Kim', '--role', 'operator'], mail)
      expect(plain, plain.err).toMatchObject({ code: 0 })
      expect(plain.err).toMatch(/no invitation code: Team sync is not set up on this computer/)
    } finally {
      await sendgrid.close()
      for (const d of dirs) await d.cleanup()
    }
  }, 240_000)
})
