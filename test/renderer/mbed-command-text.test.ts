/**
 * Why an mbed command failed or expired is shown in the operator's language: the core sends a translatable error
 * (`reason`), never an English sentence; mbed's own answer code (TIMEOUT) is shown as mbed sent it.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { MbedCommandView } from '../../src-shared/models/mbed'
import type { Translate } from '../../src-renderer/src/i18n'
import { commandReasonText } from '../../src-renderer/src/features/mbed/mbed-text'

const t: Translate = (key, options) => get(format)(key, options)

const command = (over: Partial<MbedCommandView>): MbedCommandView => ({
  id: 'c1',
  source: 'console',
  method: 'PUT',
  ep: 'node-1',
  path: '/3/0/1',
  deviceType: 'Light',
  asyncId: null,
  state: 'expired',
  createdAt: '2026-12-05T10:00:00.000Z',
  answeredAt: null,
  status: null,
  error: null,
  reason: null,
  response: null,
  ...over,
})

describe('mbed command failure text', () => {
  it('words an expiry or a refusal in French, and keeps mbed’s own code as sent', () => {
    locale.set('fr')
    const expired = command({ reason: { code: 'TIMEOUT', message: 'no async response within 5 min', details: { ref: { key: 'mbed.commandNoAnswer', params: { minutes: 5 } } } } })
    expect(commandReasonText(t, expired)).toBe('mbed n’a pas répondu dans les 5 min.')
    const stopped = command({ reason: { code: 'TIMEOUT', message: 'the bridge stopped before the answer arrived', details: { ref: { key: 'mbed.commandBridgeStopped' } } } })
    expect(commandReasonText(t, stopped)).toBe('La passerelle s’est arrêtée avant l’arrivée de la réponse.')
    expect(commandReasonText(t, command({ state: 'answered', status: 504, error: 'TIMEOUT' }))).toBe('TIMEOUT')
    locale.set('en')
    expect(commandReasonText(t, expired)).toBe('mbed sent no answer within 5 min.')
  })
})
