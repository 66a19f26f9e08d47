import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore } from '../../src-main/core/app'
import { mailConfigFromEnv } from '../../src-main/core/mail/mail-config'
import { bridgeConfigFromEnv, checkBridgeConfig } from '../../src-main/core/mbed/config'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'

const SECRET = 's3cret-Pa55'
const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

/** Everything an error carries, as one string: message, params, issues, diagnostics. */
function caught(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return JSON.stringify({ message: (e as Error).message, details: (e as { details?: unknown }).details })
  }
  throw new Error('expected a refusal')
}

describe('a password inside a URL is never echoed', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let core: Awaited<ReturnType<typeof testCore>>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    core = await testCore(dir)
  })
  afterEach(async () => {
    await core.close()
    await cleanup()
  })

  it('in the VALIDATION answer of every profile and mail URL setting, valid URL or not', async () => {
    const attempts = [
      { extension: 'jasper', name: 'J', settings: { baseUrl: `https://ops:${SECRET}@[bad`, username: 'u' } },
      { extension: 'jasper', name: 'J', settings: { baseUrl: `https://ops:${SECRET}@cc.example.com`, username: 'u' } },
      { extension: 'atnt', name: 'A', settings: { baseUrl: `http://ops:${SECRET}@remote.example.com`, username: 'u' } },
      { extension: 'mbed', name: 'M', settings: { apiUrl: `https://ops:${SECRET}@ mbed` } },
      { extension: 'platform', name: 'P', settings: { url: `mqtt://ops:${SECRET}@[bad`, clientId: 'a:org:app' } },
      { extension: 'platform', name: 'P', settings: { url: `ftp://ops:${SECRET}@host`, clientId: 'a:org:app' } },
    ] as const
    for (const input of attempts) {
      const r = await core.dispatcher.invoke('profiles:save', input)
      expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
      expect(JSON.stringify(r)).not.toContain(SECRET)
    }
    const mail = await core.dispatcher.invoke('mail:saveSettings', {
      mode: 'sendgridApiKey',
      settings: { adminName: 'Ops', adminEmail: 'ops@example.com', baseUrl: `https://k:${SECRET}@[x` },
    })
    expect(mail).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(JSON.stringify(mail)).not.toContain(SECRET)
    expect(JSON.stringify(await core.call('audit:list', {}))).not.toContain(SECRET)
  })

  it('in environment variables read by the core (mail, mbed bridge)', () => {
    const from = 'Ops <ops@example.com>'
    expect(caught(() => mailConfigFromEnv({ FIELDLINE_SENDGRID_API_KEY: 'SG.x', FIELDLINE_MAIL_FROM: from, FIELDLINE_SENDGRID_URL: `https://k:${SECRET}@[x` }))).not.toContain(SECRET)
    expect(caught(() => mailConfigFromEnv({ FIELDLINE_SMTP_URL: `smtp://u:${SECRET}@[x`, FIELDLINE_MAIL_FROM: from }))).not.toContain(SECRET)
    const env = { FIELDLINE_MBED_ACCESS_KEY: 'k', FIELDLINE_MQTT_CLIENT_ID: 'a:org:app' }
    for (const extra of [{ FIELDLINE_MQTT_URL: `mqtt://u:${SECRET}@[x` }, { FIELDLINE_MQTT_URL: 'mqtt://127.0.0.1', FIELDLINE_MBED_URL: `https://u:${SECRET}@ [x` }]) {
      const text = caught(() => checkBridgeConfig(bridgeConfigFromEnv({ ...env, ...extra })))
      expect(text).toContain('***@')
      expect(text).not.toContain(SECRET)
    }
  })

  it('in the log: every logger the core is given is wrapped', async () => {
    const lines: unknown[][] = []
    const sink = { info: (...a: unknown[]) => lines.push(a), warn: (...a: unknown[]) => lines.push(a), error: (...a: unknown[]) => lines.push(a), debug: (...a: unknown[]) => lines.push(a) }
    const t = await tempDir()
    const own = await createCore({ dataDir: t.dir, mode: 'serve', vault: createMemoryStore(), logger: sink as never })
    own.logger.warn({ broker: `mqtt://u:${SECRET}@h`, err: new Error(`to https://u:${SECRET}@h`) }, `at wss://u:${SECRET}@h`)
    await own.close()
    await t.cleanup()
    expect(lines.length).toBeGreaterThan(0)
    expect(JSON.stringify(lines)).not.toContain(SECRET)
  })

  it('on the CLI, from FIELDLINE_CC_URL', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'cli'), 'sim', 'show', '8988216716970004973'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FIELDLINE_CC_URL: `https://ops:${SECRET}@[cc`, FIELDLINE_CC_USERNAME: 'u', FIELDLINE_CC_API_KEY: 'k' },
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('https://***@[cc')
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET)
  })
})
