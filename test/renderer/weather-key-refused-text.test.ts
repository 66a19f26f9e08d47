/**
 * A weather key the provider refuses says where to check it (cold trial: « Échec de la vérification : The Weather
 * Company a refusé la clé d’API (code CDN-0001). », nothing about what to do), with the provider's code kept.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import type { Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'

const t: Translate = (key, options) => get(format)(key, options)
const refused: ErrorInfo = {
  code: 'AUTH_FAILED',
  message: 'The Weather Company refused the API key (HTTP 401 CDN-0001: Invalid apiKey.)',
  details: { ref: { key: 'weather.authFailed', params: { service: 'The Weather Company' } }, carrierCode: 'CDN-0001', carrierMessage: 'Invalid apiKey.' },
}

describe('a refused weather key', () => {
  afterAll(() => locale.set('en'))

  it('says where to check it, in French and English, with the provider’s code', () => {
    locale.set('fr')
    expect(errorText(t, refused)).toBe(
      'The Weather Company a refusé la clé d’API. Vérifiez-la dans Extensions → Météo → Configurer\u00a0: elle est peut-être mal saisie, expirée ou révoquée (code CDN-0001).',
    )
    locale.set('en')
    expect(errorText(t, refused)).toBe('The Weather Company refused the API key. Check it in Extensions → Weather → Configure: it may be mistyped, expired or revoked (code CDN-0001).')
  })

  // Cold trial: serve started with FIELDLINE_WEATHER_API_KEY sent the operator to the Weather card, which does not hold that key.
  it('names the environment variable when the key came from one, in French and English', () => {
    const fromVariable: ErrorInfo = {
      ...refused,
      message: 'The Weather Company refused the API key (HTTP 401 CDN-0001: Invalid apiKey.); check FIELDLINE_WEATHER_API_KEY',
      details: { ...refused.details, ref: { key: 'weather.envKeyRefused', params: { service: 'The Weather Company', name: 'FIELDLINE_WEATHER_API_KEY' } } },
    }
    locale.set('fr')
    expect(errorText(t, fromVariable)).toBe(
      'The Weather Company a refusé la clé d’API. Vérifiez la variable d’environnement FIELDLINE_WEATHER_API_KEY avec laquelle ce Fieldline a été démarré\u00a0: elle est peut-être mal saisie, expirée ou révoquée (code CDN-0001).',
    )
    locale.set('en')
    const english = errorText(t, fromVariable)
    expect(english).toBe(
      'The Weather Company refused the API key. Check the environment variable FIELDLINE_WEATHER_API_KEY this Fieldline was started with: it may be mistyped, expired or revoked (code CDN-0001).',
    )
    expect(english).not.toContain('Extensions')
  })
})
