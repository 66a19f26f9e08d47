/**
 * A join killed between the server's answer and the keychain write (docs/wire/couchdb-sync.md §7): the server has the
 * new password and the code is spent, yet the same code joined again on the same computer finishes the join, because
 * the new password was in the keychain before the server was asked to take it. Against express-pouchdb with CouchDB
 * users (test/peers/couchdb) and the OS keychain (the dbus recipe), under a service name of its own.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeInvitationCode } from '../../src-main/core/sync/invitation-code'
import { syncSecretAccount } from '../../src-main/core/sync/sync.store'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { runUntilKilled } from '../helpers/kill-child'
import { keychainAccount, tempDir, testCore } from '../helpers/core'
import { keyringSkipReason } from '../helpers/system'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'

const child = fileURLToPath(new URL('./fixtures/joiner.ts', import.meta.url))
const ADMIN = { name: 'kill-admin', password: 'kill-admin-pw' }
const DB = 'kill-team'
const SERVICE = `fieldline-test-join-kill-${randomBytes(4).toString('hex')}`
const skip = keyringSkipReason()
const keychain = createKeytarStore({ service: SERVICE })

let couch: CouchPeer
let dir: { dir: string; cleanup: () => Promise<void> }
/** The keychain entries the test made, cleared at the end (the keychain outlives the test). */
const accounts: string[] = []

beforeAll(async () => {
  if (skip) return
  couch = await startCouchPeer({ couchUsers: { admin: ADMIN.name, password: ADMIN.password } })
  dir = await tempDir('fieldline-join-kill-')
  // The team database with its security, as the inviting administrator sets it up.
  const adminDir = await tempDir('fieldline-join-kill-admin-')
  const admin = await testCore(adminDir.dir)
  try {
    await admin.call('sync:saveSettings', { url: couch.url, database: DB, username: ADMIN.name, secrets: { password: ADMIN.password } })
    await admin.call('sync:setup', {})
  } finally {
    await admin.close()
    await adminDir.cleanup()
  }
})

afterAll(async () => {
  if (skip) return
  for (const account of accounts) await keychain.clear(account).catch(() => undefined)
  await couch?.close()
  await dir?.cleanup()
})

async function sessionStatus(user: string, password: string): Promise<number> {
  return (await fetch(`${couch.url}/_session`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } })).status
}

describe('a join killed after the server took the new password', () => {
  it('is finished by joining again with the same code on the same computer', { timeout: 120_000 }, async (ctx) => {
    if (skip) ctx.skip(skip)
    const oneTime = randomBytes(24).toString('base64url')
    await couch.addUser('kim', oneTime, ['operator'])
    const code = encodeInvitationCode({ url: couch.url, database: DB, user: 'kim', password: oneTime, auth: 'basic' })

    const run = await runUntilKilled(child, [dir.dir], { TEST_VAULT_SERVICE: SERVICE, TEST_CODE: code }, (line) => line === 'saving the password')
    expect(run.signal).toBe('SIGKILL')
    expect(run.lines).toEqual(['joining', 'saving the password'])
    // Spent: the server has the new password, which only the keychain knows.
    expect(await sessionStatus('kim', oneTime)).toBe(401)
    // The keychain's names for this workspace's entries (<workspace id>/sync/…).
    // One after the other: each opens the workspace, which one process at a time may hold.
    const passwordAccount = await keychainAccount(dir.dir, syncSecretAccount('password'))
    const joiningAccount = await keychainAccount(dir.dir, syncSecretAccount('joining'))
    accounts.push(passwordAccount, joiningAccount)

    const again = await testCore(dir.dir, { vault: keychain })
    try {
      expect((await again.call('sync:getSettings', {})).configured).toBe(false)
      expect(await again.call('sync:join', { code, replace: false })).toEqual({ url: couch.url, database: DB, user: 'kim', role: 'operator' })
      const password = await keychain.get(passwordAccount)
      expect(await sessionStatus('kim', password!)).toBe(200)
      expect(await keychain.get(joiningAccount)).toBeNull()
      expect((await again.call('sync:verify', {})).role).toBe('operator')
    } finally {
      await again.close()
    }
  })
})
