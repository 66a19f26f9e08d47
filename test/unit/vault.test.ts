import { describe, expect, it, vi } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createKeytarStore, vaultInstallHint, type KeytarModule } from '../../src-main/core/vault/keytar.store'
import { createMemoryStore, createUnavailableStore } from '../../src-main/core/vault/memory.store'
import { secretAccount } from '../../src-main/core/vault/secret-store'
import { createVaultService, readSecret, type VaultAuditEntry } from '../../src-main/core/vault/vault.service'

const SECRET = 'hunter2-Sécret-✓'
const LINUX_HINT = 'Install and unlock a Secret Service keyring (gnome-keyring or KeePassXC with Secret Service) and libsecret (libsecret-1-0); then restart Fieldline.'

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

function expectUnavailable(e: unknown): AppError {
  expect(e).toBeInstanceOf(AppError)
  const err = e as AppError
  expect(err.code).toBe('VAULT_UNAVAILABLE')
  expect(err.details?.ref?.key).toBe('errors.vaultUnavailable')
  expect(typeof err.details?.ref?.params?.reason).toBe('string')
  expect(err.message).toContain(vaultInstallHint())
  expect(JSON.stringify(err.toInfo())).not.toContain(SECRET)
  expect(err.message).not.toContain(SECRET)
  return err
}

describe('memory store', () => {
  it('sets, replaces, reads, clears', async () => {
    const store = createMemoryStore()
    expect(await store.has('p/apiKey')).toBe(false)
    expect(await store.get('p/apiKey')).toBeNull()
    expect(await store.set('p/apiKey', 'one')).toBe(false)
    expect(await store.has('p/apiKey')).toBe(true)
    expect(await store.set('p/apiKey', 'two')).toBe(true)
    expect(await store.get('p/apiKey')).toBe('two')
    expect(await store.clear('p/apiKey')).toBe(true)
    expect(await store.clear('p/apiKey')).toBe(false)
    expect(await store.has('p/apiKey')).toBe(false)
  })

  it('keeps accounts apart', async () => {
    const store = createMemoryStore()
    await store.set('a/password', 'x')
    expect(await store.get('b/password')).toBeNull()
    expect(await store.get('a/other')).toBeNull()
  })

  it('refuses an empty value, as keytar does', async () => {
    await expect(createMemoryStore().set('a/password', '')).rejects.toThrow()
  })
})

describe('unavailable store', () => {
  it('fails every call with VAULT_UNAVAILABLE and the install hint', async () => {
    const store = createUnavailableStore('no Secret Service', 'linux')
    for (const p of [store.set('a/b', SECRET), store.get('a/b'), store.clear('a/b'), store.has('a/b')]) {
      const err = expectUnavailable(await caught(p))
      expect(err.message).toContain(LINUX_HINT)
      expect(err.details?.ref?.params?.reason).toBe('no Secret Service')
    }
  })

  it('names the keychain of each OS', () => {
    expect(vaultInstallHint('linux')).toBe(LINUX_HINT)
    expect(vaultInstallHint('darwin')).toMatch(/macOS Keychain/)
    expect(vaultInstallHint('win32')).toMatch(/Windows Credential Manager/)
  })
})

describe('vault service', () => {
  function setup() {
    const store = createMemoryStore()
    const audit = vi.fn<(entry: VaultAuditEntry) => Promise<void>>(async () => undefined)
    return { store, audit, vault: createVaultService(store, audit) }
  }
  const key = { profileId: 'profile:jasper:acme', field: 'apiKey' }
  const account = secretAccount(key.profileId, key.field)

  it('reports replaced, cleared and isSet, and stores under <profileId>/<field>', async () => {
    const { store, vault } = setup()
    expect(await vault.isSet(key.profileId, key.field)).toEqual({ set: false })
    expect(await vault.setSecret(key.profileId, key.field, SECRET)).toEqual({ replaced: false })
    expect(await store.get('profile:jasper:acme/apiKey')).toBe(SECRET)
    expect(await vault.isSet(key.profileId, key.field)).toEqual({ set: true })
    expect(await vault.setSecret(key.profileId, key.field, `${SECRET}-2`)).toEqual({ replaced: true })
    expect(await readSecret(store, key.profileId, key.field)).toBe(`${SECRET}-2`)
    expect(await vault.clearSecret(key.profileId, key.field)).toEqual({ cleared: true })
    expect(await vault.clearSecret(key.profileId, key.field)).toEqual({ cleared: false })
    expect(await vault.isSet(key.profileId, key.field)).toEqual({ set: false })
    expect(await readSecret(store, key.profileId, key.field)).toBeNull()
  })

  it('audits set, replace and clear by account, never by value', async () => {
    const { audit, vault } = setup()
    await vault.setSecret(key.profileId, key.field, SECRET)
    await vault.setSecret(key.profileId, key.field, `${SECRET}-2`)
    await vault.isSet(key.profileId, key.field)
    await vault.clearSecret(key.profileId, key.field)
    await vault.clearSecret(key.profileId, key.field)
    const entries = audit.mock.calls.map(([entry]) => entry)
    expect(entries).toEqual([
      { action: 'vault.set', target: account, outcome: 'ok' },
      { action: 'vault.replace', target: account, outcome: 'ok' },
      { action: 'vault.clear', target: account, outcome: 'ok' },
      { action: 'vault.clear', target: account, outcome: 'ok', after: { wasSet: 'no' } },
    ])
    expect(JSON.stringify(audit.mock.calls)).not.toContain(SECRET)
  })

  it('works without an audit callback', async () => {
    const vault = createVaultService(createMemoryStore())
    expect(await vault.setSecret(key.profileId, key.field, SECRET)).toEqual({ replaced: false })
  })

  it('reports a missing keychain as VAULT_UNAVAILABLE and audits the failure without the value', async () => {
    const audit = vi.fn<(entry: VaultAuditEntry) => Promise<void>>(async () => undefined)
    const vault = createVaultService(createUnavailableStore('no Secret Service', 'linux'), audit)
    const err = expectUnavailable(await caught(vault.setSecret(key.profileId, key.field, SECRET)))
    expect(err.message).toContain(LINUX_HINT)
    expectUnavailable(await caught(vault.clearSecret(key.profileId, key.field)))
    expectUnavailable(await caught(vault.isSet(key.profileId, key.field)))
    expect(audit.mock.calls.map(([e]) => e)).toEqual([
      { action: 'vault.set', target: account, outcome: 'failed', error: expect.objectContaining({ code: 'VAULT_UNAVAILABLE' }) },
      { action: 'vault.clear', target: account, outcome: 'failed', error: expect.objectContaining({ code: 'VAULT_UNAVAILABLE' }) },
    ])
    // Translatable: Activity words it from the key and the keychain's reason, never from an English detail.
    const failed = audit.mock.calls[0]![0]
    expect(failed.error?.details?.ref).toMatchObject({ key: 'errors.vaultUnavailable', params: { reason: 'no Secret Service' } })
    expect(JSON.stringify(audit.mock.calls)).not.toContain(SECRET)
  })

  it('keeps the keychain error when the audit write fails too', async () => {
    const vault = createVaultService(createUnavailableStore(), async () => {
      throw new Error('audit store down')
    })
    expectUnavailable(await caught(vault.setSecret(key.profileId, key.field, SECRET)))
  })
})

/** A keytar whose every call fails with `message`, the way the native module reports it. */
function failingKeytar(message: string): KeytarModule {
  const fail = async (): Promise<never> => {
    throw new Error(message)
  }
  return { getPassword: fail, setPassword: fail, deletePassword: fail }
}

function fakeKeytar(): KeytarModule & { items: Map<string, string> } {
  const items = new Map<string, string>()
  const k = (s: string, a: string) => `${s}\u0000${a}`
  return {
    items,
    getPassword: async (s, a) => items.get(k(s, a)) ?? null,
    setPassword: async (s, a, p) => {
      items.set(k(s, a), p)
    },
    deletePassword: async (s, a) => items.delete(k(s, a)),
  }
}

describe('keytar store', () => {
  const UNAVAILABLE = [
    'Cannot autolaunch D-Bus without X11 $DISPLAY',
    'The name org.freedesktop.secrets was not provided by any .service files',
    'Object does not exist at path “/org/freedesktop/secrets/collection/login”',
    'Cannot create an item in a locked collection',
    'Operation was cancelled',
    'Could not connect: No such file or directory',
    'User canceled the operation.',
    'User interaction is not allowed.',
    'A specified logon session does not exist. It may already have been terminated.',
  ]

  it.each(UNAVAILABLE)('maps "%s" to VAULT_UNAVAILABLE on every operation', async (message) => {
    const store = createKeytarStore({ service: 'fieldline-unit', load: async () => failingKeytar(message) })
    for (const p of [store.set('a/b', SECRET), store.get('a/b'), store.clear('a/b'), store.has('a/b')]) {
      const err = expectUnavailable(await caught(p))
      expect(err.details?.ref?.params?.reason).toBe(message)
    }
  })

  it('maps a module that fails to load (libsecret missing) to VAULT_UNAVAILABLE, and retries the load later', async () => {
    const load = vi.fn<() => Promise<KeytarModule>>().mockRejectedValueOnce(new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory')).mockResolvedValue(fakeKeytar())
    const store = createKeytarStore({ load })
    const err = expectUnavailable(await caught(store.set('a/b', SECRET)))
    expect(err.message).toContain('libsecret-1.so.0')
    expect(await store.set('a/b', SECRET)).toBe(false)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('never puts the secret in an error, even if the keychain echoes it', async () => {
    const store = createKeytarStore({ load: async () => failingKeytar(`Cannot create an item in a locked collection (${SECRET})`) })
    const err = expectUnavailable(await caught(store.set('a/b', SECRET)))
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(SECRET)

    const odd = createKeytarStore({ load: async () => failingKeytar(`Something unexpected with ${SECRET}`) })
    const other = await caught(odd.set('a/b', SECRET))
    expect(other).toBeInstanceOf(Error)
    expect(other).not.toBeInstanceOf(AppError)
    expect((other as Error).message).not.toContain(SECRET)
  })

  it('leaves other failures as internal errors, not as a missing keychain', async () => {
    const store = createKeytarStore({ load: async () => failingKeytar('The stub received bad data.') })
    const err = await caught(store.get('a/b'))
    expect(err).not.toBeInstanceOf(AppError)
  })

  it('reports replaced from the value already in the keychain, under its own service', async () => {
    const k = fakeKeytar()
    const store = createKeytarStore({ service: 'fieldline-unit', load: async () => k })
    expect(await store.set('a/b', 'one')).toBe(false)
    expect(await store.set('a/b', 'two')).toBe(true)
    expect(k.items.get('fieldline-unit\u0000a/b')).toBe('two')
    expect(await store.has('a/b')).toBe(true)
    expect(await store.clear('a/b')).toBe(true)
    expect(await store.has('a/b')).toBe(false)
    expect(await store.get('a/b')).toBeNull()
  })

  it('uses the "fieldline" service by default', async () => {
    const k = fakeKeytar()
    await createKeytarStore({ load: async () => k }).set('a/b', 'v')
    expect([...k.items.keys()]).toEqual(['fieldline\u0000a/b'])
  })

  it('does not let two concurrent sets of one account both report a fresh value', async () => {
    const k = fakeKeytar()
    const slow: KeytarModule = {
      ...k,
      // A keychain that looks the value up when asked and answers on a later turn of the event loop: two sets read
      // the same old value unless the store serialises them. No clock is involved.
      getPassword: async (s, a) => {
        const value = await k.getPassword(s, a)
        await new Promise((r) => setImmediate(r))
        return value
      },
    }
    const store = createKeytarStore({ load: async () => slow })
    const results = await Promise.all([store.set('a/b', 'one'), store.set('a/b', 'two')])
    expect(results.sort()).toEqual([false, true])
  })
})
