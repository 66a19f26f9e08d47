/**
 * A SIM's status inside an error is written in the window's words (cold trial: an SMS to a deactivated SIM was refused
 * in a French window with « La SIM … est à l’état deactivated »).
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import { translateRef, type Translate } from '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)
const iccid = '89882160011195503677'

afterEach(() => locale.set('en'))

describe('a SIM status in an error', () => {
  it('is the status’s name in English and in French, not its code', async () => {
    const ref = { key: 'sim.smsInactive', params: { iccid, status: 'deactivated' } }
    expect(translateRef(t, ref, '')).toBe(`SIM ${iccid} is Deactivated: it cannot receive an SMS, so none was sent.`)
    await locale.set('fr')
    expect(translateRef(t, ref, '')).toBe(`La SIM ${iccid} est à l’état Désactivée\u00a0: elle ne peut pas recevoir de SMS, aucun n’a été envoyé.`)
  })

  it('stays as given when it is not a status Fieldline knows (what the operator typed)', () => {
    expect(translateRef(t, { key: 'sim.statusNotSettable', params: { status: 'FOO' } }, '')).toContain('FOO')
  })
})
