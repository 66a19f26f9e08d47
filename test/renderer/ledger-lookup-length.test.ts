/**
 * A transaction or asset id pasted longer than the core takes is said under the lookup field, in the operator's
 * language, and not looked up; the field used to cut it at 200 characters and look up another id.
 */
import { render } from 'svelte/server'
import { locale } from 'svelte-i18n'
import { describe, expect, it, vi } from 'vitest'
import { MAX_LOOKUP_ID } from '../../src-shared/models/ledger'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

await import('../../src-renderer/src/i18n')
const { default: LookupSection } = await import('../../src-renderer/src/features/ledger/LookupSection.svelte')
const { Lookup } = await import('../../src-renderer/src/lib/state/ledger.svelte')

function shown(value: string): string {
  const props = {
    title: 'Transaction',
    label: 'Transaction ID',
    submitLabel: 'Show',
    lookup: new Lookup<never, never>(() => Promise.reject(new Error('not looked up'))),
    value,
    onsubmit: () => {},
    answer: undefined as never,
  }
  return render(LookupSection, { props }).body
}

describe('an id pasted into a ledger lookup', () => {
  it.each([
    ['en', 'At most 200 characters.'],
    ['fr', '200 caractères au maximum.'],
  ])('%s: one character too long is kept, marked invalid, said too long, and cannot be looked up', async (language, words) => {
    await locale.set(language)
    const body = shown('t'.repeat(MAX_LOOKUP_ID + 1))
    const input = /<input\b[^>]*>/.exec(body)?.[0] ?? ''
    expect(input).toContain(`value="${'t'.repeat(MAX_LOOKUP_ID + 1)}"`)
    expect(input).toContain('aria-invalid="true"')
    expect(body).not.toMatch(/maxlength/i)
    expect(body).toContain(`>${words}</p>`)
    expect(body).toMatch(/<button type="submit" disabled/)
  })

  it('at the limit is looked up as it is', async () => {
    await locale.set('en')
    const body = shown('t'.repeat(MAX_LOOKUP_ID))
    expect(body).not.toContain('field-error')
    expect(body).not.toMatch(/<button type="submit" disabled/)
  })
})
