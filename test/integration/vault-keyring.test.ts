/**
 * The real keytar store against a real gnome-keyring.
 *
 * Inside `.ci/run` the test process already sits in a D-Bus session with an unlocked throwaway keyring. Run on its
 * own, it brings up its own: a private dbus-daemon and a gnome-keyring-daemon
 * unlocked with a throwaway password, both in a temp dir and both stopped in afterAll, so the suite never
 * touches the developer's own keyring or leaves a daemon behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { cp, mkdir, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { isAppError } from '../../src-main/core/common/errors'
import { profileDocId } from '../../src-main/core/store/profiles.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { WORKSPACE_IDENTITY_ID } from '../../src-main/core/store/workspace-identity'
import { syncSecretAccount } from '../../src-main/core/sync/sync.store'
import { createKeytarStore, type KeytarModule } from '../../src-main/core/vault/keytar.store'
import { secretAccount, type SecretStore } from '../../src-main/core/vault/secret-store'
import { createVaultService } from '../../src-main/core/vault/vault.service'
import { workspaceAccount } from '../../src-main/core/vault/workspace-names'
import { VAULT_MOVE_ID } from '../../src-main/core/workspace-vault'
import { tempDir as makeTempDir, testCore } from '../helpers/core'
import { missingService } from '../helpers/system'

const SERVICE = `fieldline-test-${randomBytes(6).toString('hex')}`
const STARTUP_TIMEOUT_MS = 10_000

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: STARTUP_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const done = await Promise.race([exited(child).then(() => true), sleep(3000).then(() => false)])
  if (!done) {
    child.kill('SIGKILL')
    await exited(child)
  }
}

/** Everything this file started, so that afterAll can stop it even when start-up failed half way. */
const started: ChildProcess[] = []
let tempDir: string | undefined
let ownBus = false

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${STARTUP_TIMEOUT_MS} ms: ${err}`)), STARTUP_TIMEOUT_MS)
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl).trim())
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited with ${code}: ${err}`))
    })
  })
}

/** The daemon owns its bus name before it has created the login collection; wait for the collection. */
async function waitForUnlockedLogin(keyring: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    if (keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon exited with ${keyring.exitCode}`)
    const r = await run('dbus-send', [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets/collection/login',
      'org.freedesktop.DBus.Properties.Get',
      'string:org.freedesktop.Secret.Collection',
      'string:Locked',
    ])
    if (r.code === 0 && /boolean false/.test(r.stdout)) return
    last = r.stderr || r.stdout
    await sleep(100)
  }
  throw new Error(`the login collection was not unlocked within ${STARTUP_TIMEOUT_MS} ms: ${last}`)
}

async function startPrivateKeyring(): Promise<void> {
  tempDir = await mkdtemp(join(tmpdir(), 'fieldline-keyring-'))
  const runtime = join(tempDir, 'run')
  await mkdir(runtime, { mode: 0o700 })
  await mkdir(join(tempDir, 'data'))
  // No <servicedir>: nothing on this bus may be auto-activated, so a keyring that failed to start shows up
  // as "not provided by any .service files" instead of a second, locked daemon with a prompt.
  const config = join(tempDir, 'bus.conf')
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${tempDir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  )
  const bus = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(bus)
  const address = await firstLine(bus, 'dbus-daemon')

  // libsecret (inside keytar) reads the address when it first connects, which is after this line.
  process.env.DBUS_SESSION_BUS_ADDRESS = address
  ownBus = true

  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: join(tempDir, 'data'), XDG_RUNTIME_DIR: runtime }
  // Otherwise gnome-keyring-daemon may hand the unlock to the developer's running daemon instead of starting.
  delete env.GNOME_KEYRING_CONTROL
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets', `--control-directory=${join(runtime, 'keyring')}`], {
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  started.push(keyring)
  keyring.stdin?.end('fieldline-test-password')
  await waitForUnlockedLogin(keyring)
}

const store = createKeytarStore({ service: SERVICE })
const accounts = new Set<string>()
let skip: string | null = null

function account(profileId: string, field: string): string {
  const a = `${profileId}/${field}`
  accounts.add(a)
  return a
}

beforeAll(async () => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    const missing = ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'].filter((b) => !onPath(b))
    skip = missingService('gnome-keyring', missing.length > 0 ? `${missing.join(', ')} not on PATH (apt-get install dbus-daemon dbus-bin gnome-keyring libsecret-1-0)` : null)
    if (skip) return
    await startPrivateKeyring()
  }
  // A session bus may be there without an unlocked keyring (reads then answer null, writes fail): probe with a write.
  const probe = account('probe', 'write')
  try {
    await store.set(probe, 'probe')
    await store.clear(probe)
  } catch (e) {
    if (!isAppError(e) || e.code !== 'VAULT_UNAVAILABLE') throw e
    skip = missingService('gnome-keyring', `the session bus has no unlocked Secret Service: ${e.message}`)
  }
})

afterAll(async () => {
  try {
    if (!skip) for (const a of accounts) await store.clear(a)
  } finally {
    for (const child of started.reverse()) await stop(child)
    if (ownBus) delete process.env.DBUS_SESSION_BUS_ADDRESS
    if (tempDir) await rm(tempDir, { recursive: true, force: true })
  }
})

function needsKeyring(ctx: TestContext): void {
  if (skip) ctx.skip(skip)
}

describe('keytar store on gnome-keyring', () => {
  it('sets, reads, replaces and clears a secret', async (ctx) => {
    needsKeyring(ctx)
    const a = account('profile:jasper:acme', 'apiKey')
    expect(await store.has(a)).toBe(false)
    expect(await store.set(a, 'first-value')).toBe(false)
    expect(await store.has(a)).toBe(true)
    expect(await store.get(a)).toBe('first-value')
    expect(await store.set(a, 'second-value')).toBe(true)
    expect(await store.get(a)).toBe('second-value')
    expect(await store.clear(a)).toBe(true)
    expect(await store.has(a)).toBe(false)
    expect(await store.get(a)).toBeNull()
  })

  it('keeps unicode values exactly', async (ctx) => {
    needsKeyring(ctx)
    const a = account('profile:orange:fr', 'password')
    const value = 'Mot de passe: é€✓ 日本語 🔑 \u00a0end'
    await store.set(a, value)
    expect(await store.get(a)).toBe(value)
  })

  it('answers null and false for an account that was never set', async (ctx) => {
    needsKeyring(ctx)
    const a = account('profile:none', 'nothing')
    expect(await store.get(a)).toBeNull()
    expect(await store.has(a)).toBe(false)
    expect(await store.clear(a)).toBe(false)
  })

  it("stores items with keytar's schema: service + account attributes", async (ctx) => {
    needsKeyring(ctx)
    const reason = missingService('secret-tool', onPath('secret-tool') ? null : 'secret-tool not on PATH (apt-get install libsecret-tools)')
    if (reason) ctx.skip(reason)
    const a = account('profile:mbed:plant-1', 'accessKey')
    await store.set(a, 'mbed-access-key')
    const r = await run('secret-tool', ['search', '--all', 'service', SERVICE, 'account', a])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('secret = mbed-access-key')
    // secret-tool prints label, secret and schema on stdout and the attributes on stderr.
    expect(r.stdout).toContain(`label = ${SERVICE}/${a}`)
    expect(r.stdout).toContain('schema = org.freedesktop.Secret.Generic')
    const attributes = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('attribute.'))
      .sort()
    expect(attributes).toEqual([`attribute.account = ${a}`, `attribute.service = ${SERVICE}`])
  })

  it('backs the vault service: replaced, isSet and cleared come from the keychain', async (ctx) => {
    needsKeyring(ctx)
    const vault = createVaultService(store)
    account('profile:sendgrid:main', 'apiKey')
    expect(await vault.setSecret('profile:sendgrid:main', 'apiKey', 'SG.one')).toEqual({ replaced: false })
    expect(await vault.setSecret('profile:sendgrid:main', 'apiKey', 'SG.two')).toEqual({ replaced: true })
    expect(await vault.isSet('profile:sendgrid:main', 'apiKey')).toEqual({ set: true })
    expect(await vault.clearSecret('profile:sendgrid:main', 'apiKey')).toEqual({ cleared: true })
    expect(await vault.isSet('profile:sendgrid:main', 'apiKey')).toEqual({ set: false })
  })

  it('leaves nothing behind once every account is cleared', async (ctx) => {
    needsKeyring(ctx)
    for (const a of accounts) await store.clear(a)
    for (const a of accounts) expect(await store.has(a)).toBe(false)
    if (onPath('secret-tool')) {
      const r = await run('secret-tool', ['search', '--all', 'service', SERVICE])
      expect(r.stdout.trim()).toBe('')
    }
  })
})

describe('workspaces on one keyring', () => {
  type Core = Awaited<ReturnType<typeof testCore>>
  const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  /** The keychain the cores get: every account they write is cleared in afterAll. */
  function tracked(keychain: SecretStore = store): SecretStore {
    return { ...keychain, set: (a, v) => (accounts.add(a), keychain.set(a, v)) }
  }

  async function dataDir(): Promise<string> {
    const t = await makeTempDir('fieldline-keyring-ws-')
    cleanups.push(t.cleanup)
    return t.dir
  }

  async function open(dir: string, keychain: SecretStore = tracked(), warnings: string[] = []): Promise<Core> {
    const logger = { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (_: unknown, message: string) => void warnings.push(message) }
    const core = await testCore(dir, { vault: keychain, logger: logger as never })
    cleanups.push(() => core.close().catch(() => undefined))
    return core
  }

  const secretOf = async (core: Core, id: string) => core.profiles.secret(await core.profiles.get('atnt', id), 'apiKey')

  /**
   * A workspace as the release before workspace names left it: a profile's API key and the sync password under the
   * legacy names, and neither an identity nor a move in the workspace.
   */
  async function legacyWorkspace(apiKey: string): Promise<{ dir: string; id: string; legacy: string[] }> {
    const dir = await dataDir()
    const core = await testCore(dir, { vault: tracked() })
    const { id } = await core.call('profiles:save', { extension: 'atnt', name: 'Prod', settings, secrets: { apiKey } })
    await core.call('sync:saveSettings', { url: 'http://127.0.0.1:5984', database: 'team', username: 'olga', secrets: { password: `sync-${apiKey}` }, offline: true })
    await core.close()
    const ws = await openWorkspace(dir)
    const legacy = [secretAccount(profileDocId('atnt', id), 'apiKey'), syncSecretAccount('password')]
    for (const a of legacy) {
      const own = workspaceAccount(ws.id!, a)
      accounts.add(a)
      await store.set(a, (await store.get(own))!)
      await store.clear(own)
    }
    for (const local of [WORKSPACE_IDENTITY_ID, VAULT_MOVE_ID]) {
      const { _id, _rev } = await ws.db.get(local)
      await ws.db.remove(_id, _rev)
    }
    await ws.close()
    return { dir, id, legacy }
  }

  it('keeps the secrets of two workspaces whose profiles have one id apart', async (ctx) => {
    needsKeyring(ctx)
    const a = await open(await dataDir())
    const b = await open(await dataDir())
    const { id } = await a.call('profiles:save', { extension: 'atnt', name: 'Prod', settings, secrets: { apiKey: 'key-of-a' } })
    // The same profile in the second workspace, as team sync copies it; its own key saved there.
    const { _rev, ...copy } = await a.profiles.get('atnt', id)
    await b.workspace.db.put(copy)
    await b.call('profiles:save', { id, extension: 'atnt', name: 'Prod', settings, secrets: { apiKey: 'key-of-b' } })

    expect(a.workspace.id).not.toBe(b.workspace.id)
    expect(await secretOf(a, id)).toBe('key-of-a')
    expect(await secretOf(b, id)).toBe('key-of-b')
    const name = secretAccount(profileDocId('atnt', id), 'apiKey')
    expect(await store.get(workspaceAccount(a.workspace.id!, name))).toBe('key-of-a')
    expect(await store.get(workspaceAccount(b.workspace.id!, name))).toBe('key-of-b')
    expect(await store.has(name)).toBe(false)
    // The audit trail names the account as the workspace does, without this computer's prefix.
    await b.call('vault:clearSecret', { profileId: profileDocId('atnt', id), field: 'apiKey' })
    const [entry] = (await b.call('audit:list', { query: 'vault.clear', offset: 0, limit: 1 })).items
    expect(entry).toMatchObject({ action: 'vault.clear', target: name })
    expect(await secretOf(a, id)).toBe('key-of-a')
  })

  it('gives a copied data folder its own id and its own copies of the secrets; a moved or reopened one keeps both', async (ctx) => {
    needsKeyring(ctx)
    const parent = await dataDir()
    const original = join(parent, 'data')
    const first = await open(original)
    const { id } = await first.call('profiles:save', { extension: 'atnt', name: 'Prod', settings, secrets: { apiKey: 'key-of-original' } })
    const originalId = first.workspace.id!
    await first.close()

    // Reopened in place: the same id, nothing said.
    const warnings: string[] = []
    const again = await open(original, tracked(), warnings)
    expect(again.workspace).toMatchObject({ id: originalId, copiedFrom: null })
    await again.close()

    // Copied beside it, the original still there: the copy takes a new id, says so once, and has the secrets as copies.
    const copy = join(parent, 'copy')
    await cp(original, copy, { recursive: true })
    const copied = await open(copy, tracked(), warnings)
    const copyId = copied.workspace.id!
    expect(copyId).not.toBe(originalId)
    expect(copied.workspace.copiedFrom).toMatchObject({ id: originalId, path: await realpath(original), now: true })
    expect(warnings).toEqual([expect.stringContaining('the data folder is a copy of another that is still in its place')])
    // The app says it too, in the session that found it.
    expect((await copied.call('app:info', {})).workspaceCopy).toEqual({ original: await realpath(original), at: copied.workspace.copiedFrom!.at })
    expect(await secretOf(copied, id)).toBe('key-of-original')
    const name = secretAccount(profileDocId('atnt', id), 'apiKey')
    expect(await store.get(workspaceAccount(copyId, name))).toBe('key-of-original')
    // From now on apart: a key changed in the copy leaves the original's.
    await copied.call('profiles:save', { id, extension: 'atnt', name: 'Prod', settings, secrets: { apiKey: 'key-of-copy' } })
    await copied.close()
    const originalAgain = await open(original, tracked(), warnings)
    expect(originalAgain.workspace).toMatchObject({ id: originalId, copiedFrom: null })
    expect(await secretOf(originalAgain, id)).toBe('key-of-original')
    await originalAgain.close()
    const copyAgain = await open(copy, tracked(), warnings)
    expect(copyAgain.workspace).toMatchObject({ id: copyId, copiedFrom: { id: originalId, now: false } })
    expect((await copyAgain.call('app:info', {})).workspaceCopy).toBeNull()
    expect(await secretOf(copyAgain, id)).toBe('key-of-copy')
    await copyAgain.close()
    expect(warnings).toHaveLength(1)

    // Moved (renamed, the original gone): the same id and secrets, nothing said.
    const moved = join(parent, 'moved')
    await rename(original, moved)
    const afterMove = await open(moved, tracked(), warnings)
    expect(afterMove.workspace).toMatchObject({ id: originalId, copiedFrom: null })
    expect(await secretOf(afterMove, id)).toBe('key-of-original')
    await afterMove.close()
    // Copied and the original removed before the copy opens (a move to another disk): a move too.
    const elsewhere = join(parent, 'elsewhere')
    await cp(moved, elsewhere, { recursive: true })
    await rm(moved, { recursive: true })
    const onOtherDisk = await open(elsewhere, tracked(), warnings)
    expect(onOtherDisk.workspace).toMatchObject({ id: originalId, copiedFrom: null })
    expect(await secretOf(onOtherDisk, id)).toBe('key-of-original')
    await onOtherDisk.close()
    expect(warnings).toHaveLength(1)
  })

  it('moves an old workspace’s legacy entries to its own names once, and leaves the legacy entries', async (ctx) => {
    needsKeyring(ctx)
    const { dir, id, legacy } = await legacyWorkspace('old-key')
    const core = await open(dir)
    expect(await secretOf(core, id)).toBe('old-key')
    expect(await core.vault.get(syncSecretAccount('password'))).toBe('sync-old-key')
    for (const a of legacy) expect(await store.get(workspaceAccount(core.workspace.id!, a))).toBe(await store.get(a))
    expect(await store.get(legacy[0]!)).toBe('old-key')
    expect(await core.workspace.db.get(VAULT_MOVE_ID)).toMatchObject({ moved: 2 })

    // Cleared after the move: the next open does not bring the legacy value back.
    await core.vault.clear(legacy[0]!)
    await core.close()
    const again = await open(dir)
    expect(await secretOf(again, id)).toBeNull()
    expect(await again.vault.get(syncSecretAccount('password'))).toBe('sync-old-key')
    expect(await store.get(legacy[0]!)).toBe('old-key')
  })

  it('opens when the keychain refuses during the move, changes nothing, and moves at the first use once it accepts', async (ctx) => {
    needsKeyring(ctx)
    const { dir, id, legacy } = await legacyWorkspace('locked-key')
    const mod = (await import('keytar')) as KeytarModule & { default?: KeytarModule }
    const keytar = mod.default ?? mod
    let refusing = true
    let writes = 0
    // The first copy goes in, the second is refused: the first must be taken back.
    const load = async (): Promise<KeytarModule> => ({
      getPassword: (s, a) => keytar.getPassword(s, a),
      deletePassword: (s, a) => keytar.deletePassword(s, a),
      setPassword: async (s, a, v) => {
        if (refusing && ++writes > 1) throw new Error('Cannot create an item in a locked collection')
        return keytar.setPassword(s, a, v)
      },
    })
    const core = await open(dir, tracked(createKeytarStore({ service: SERVICE, load })))
    expect(writes).toBe(2)
    for (const a of legacy) expect(await store.has(workspaceAccount(core.workspace.id!, a))).toBe(false)
    expect(await store.get(legacy[0]!)).toBe('locked-key')
    await expect(core.workspace.db.get(VAULT_MOVE_ID)).rejects.toMatchObject({ status: 404 })
    // Its secrets wait for the move: a read tries it again, and says the keychain is unavailable while it refuses.
    await expect(secretOf(core, id)).rejects.toMatchObject({ code: 'VAULT_UNAVAILABLE', details: { ref: { key: 'errors.vaultUnavailable' } } })

    refusing = false
    expect(await secretOf(core, id)).toBe('locked-key')
    expect(await store.get(workspaceAccount(core.workspace.id!, legacy[1]!))).toBe('sync-locked-key')
    expect(await core.workspace.db.get(VAULT_MOVE_ID)).toMatchObject({ moved: 2 })
  })
})
