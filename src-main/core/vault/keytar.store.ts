/**
 * The OS keychain behind `SecretStore`, through keytar.
 *
 * keytar is the user's choice of library. It is archived upstream (atom/node-keytar, last release 7.9.0),
 * which is why nothing outside this file knows about it. @napi-rs/keyring would avoid the archived native
 * build, but it is not a drop-in swap: on Linux it writes `service` + `username` attributes where keytar
 * writes `service` + `account`, so neither sees the other's items and switching needs a one-time migration
 * (read every account with keytar, write it with the new library).
 */
import { AppError } from '../common/errors'
import { VAULT_SERVICE, type SecretStore } from './secret-store'

export type KeytarModule = Pick<typeof import('keytar'), 'getPassword' | 'setPassword' | 'deletePassword'>

export interface KeytarStoreOptions {
  service?: string
  /** Replaces the real module loader, so tests can simulate a machine without a usable keychain. */
  load?: () => Promise<KeytarModule>
}

/** What to install or do when the keychain is missing or refuses us, in the operator's terms. */
export function vaultInstallHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'Unlock the macOS Keychain (open Keychain Access and unlock the "login" keychain) and allow Fieldline to use it; then restart Fieldline.'
    case 'win32':
      return 'Fieldline stores secrets in Windows Credential Manager: run it from a signed-in user session (not a service account without a profile) and make sure Credential Manager is available; then restart Fieldline.'
    default:
      return 'Install and unlock a Secret Service keyring (gnome-keyring or KeePassXC with Secret Service) and libsecret (libsecret-1-0); then restart Fieldline.'
  }
}

const MAX_REASON_CHARS = 300

/**
 * The one way the vault reports a missing keychain. There is deliberately no plaintext fallback: a
 * secret that cannot go to the keychain is refused, loudly.
 */
export function vaultUnavailable(reason: string, platform: NodeJS.Platform = process.platform): AppError {
  const short = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason
  return AppError.withRef('VAULT_UNAVAILABLE', `The OS keychain is unavailable (${short}). ${vaultInstallHint(platform)}`, { key: 'errors.vaultUnavailable', params: { reason: short } })
}

/**
 * Messages from libsecret/GDBus (Linux), Security.framework (macOS) and the Credential Manager (Windows)
 * that mean "there is no keychain we can use right now", as opposed to a bug in how we call it.
 */
const UNAVAILABLE_PATTERNS: readonly RegExp[] = [
  /autolaunch/i, // no session bus and no $DISPLAY to start one
  /dbus-launch/i,
  /machine-id/i,
  /org\.freedesktop\.secrets was not provided/i, // bus without any Secret Service
  /ServiceUnknown/i,
  /Could not connect/i, // session bus gone (socket removed)
  /Failed to connect to socket/i,
  /connection is closed/i,
  /Object does not exist at path/i, // keyring daemon running but no unlocked "login" collection
  /locked collection/i, // unlock prompt dismissed or impossible
  /No such secret collection/i,
  /cancel/i, // "Operation was cancelled" (Linux), "User canceled the operation." (macOS)
  /User interaction is not allowed/i,
  /No keychain is available/i,
  /keychain could not be found/i,
  /user name or passphrase you entered is not correct/i,
  /logon session does not exist/i, // Windows service without a loaded user profile
]

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Belt and braces: keychain errors do not echo the secret, but nothing we pass on may contain it. */
function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text
}

export function createKeytarStore(options: KeytarStoreOptions = {}): SecretStore {
  const service = options.service ?? VAULT_SERVICE
  // Imported on first use, not at module load: on a Linux without libsecret the native module fails to
  // load, and that must become VAULT_UNAVAILABLE on the first vault call instead of a crash at start-up.
  const load = options.load ?? (async () => normalise(await import('keytar')))
  let loading: Promise<KeytarModule> | undefined

  async function keytar(): Promise<KeytarModule> {
    loading ??= load()
    try {
      return await loading
    } catch (e) {
      // Forget the failure so that a later call tries again (the library may have been installed since).
      loading = undefined
      throw vaultUnavailable(`the keychain library could not be loaded: ${messageOf(e)}`)
    }
  }

  async function call<T>(op: string, run: (k: KeytarModule) => Promise<T>, secret?: string): Promise<T> {
    const k = await keytar()
    try {
      return await run(k)
    } catch (e) {
      const message = redact(messageOf(e), secret)
      if (UNAVAILABLE_PATTERNS.some((p) => p.test(message))) throw vaultUnavailable(message)
      // Not a missing keychain: let the dispatcher report it as INTERNAL, without the secret.
      throw new Error(`Keychain ${op} failed: ${message}`)
    }
  }

  // "replaced" is a read followed by a write; serialising writes keeps two concurrent sets of one account
  // from both reporting a fresh value to the audit trail.
  let writes: Promise<unknown> = Promise.resolve()
  function serial<T>(run: () => Promise<T>): Promise<T> {
    const next = writes.then(run, run)
    writes = next.catch(() => undefined)
    return next
  }

  return {
    set(account, value) {
      return serial(() =>
        call(
          'write',
          async (k) => {
            const replaced = (await k.getPassword(service, account)) !== null
            await k.setPassword(service, account, value)
            return replaced
          },
          value,
        ),
      )
    },
    get(account) {
      return call('read', (k) => k.getPassword(service, account))
    },
    clear(account) {
      return serial(() => call('delete', (k) => k.deletePassword(service, account)))
    },
    async has(account) {
      return (await call('read', (k) => k.getPassword(service, account))) !== null
    },
  }
}

/** keytar is CommonJS: depending on the loader its functions sit on the namespace or on `default`. */
function normalise(mod: KeytarModule & { default?: KeytarModule }): KeytarModule {
  return mod.default ?? mod
}
