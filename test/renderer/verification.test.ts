import { describe, expect, it } from 'vitest'
import type { Result } from '../../src-shared/contract'
import { Verification } from '../../src-renderer/src/lib/state/verification.svelte'

describe('the last "Verify" of saved settings', () => {
  it('says it is running, then what the service answered, for the settings it verified only', async () => {
    let version: string | null = '2026-03-10T10:00:00Z'
    const verification = new Verification<string>(() => version)
    expect(verification.shown).toBeNull()

    let answer: (r: Result<string>) => void = () => {}
    const running = verification.run(() => new Promise((resolve) => (answer = resolve)))
    expect(verification.shown).toBe('running')
    answer({ ok: true, value: 'answered' })
    await running
    expect(verification.shown).toEqual({ ok: true, value: 'answered' })

    // Saved again: the outcome was about the settings before, so it is not shown for these.
    version = '2026-03-10T10:05:00Z'
    expect(verification.shown).toBeNull()
    await verification.run(async () => ({ ok: false, error: { code: 'AUTH_FAILED', message: 'refused' } }))
    expect(verification.shown).toEqual({ ok: false, error: { code: 'AUTH_FAILED', message: 'refused' } })
  })

  it('ties an answer that arrives after a save to the settings it was asked about', async () => {
    let version: string | null = null
    const verification = new Verification<string>(() => version)
    let answer: (r: Result<string>) => void = () => {}
    const running = verification.run(() => new Promise((resolve) => (answer = resolve)))
    version = '2026-03-10T10:05:00Z'
    answer({ ok: true, value: 'about the defaults' })
    await running
    expect(verification.shown).toBeNull()
  })
})
