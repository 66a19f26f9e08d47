/**
 * A weather URL that leads nowhere (no such host, nothing listening) or to something that is not the provider's API,
 * and a key not licensed for the data, say what to check and where, in the window's language: the Weather card, or
 * the environment variable the key or URL came from.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import type { Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'

const t: Translate = (key, options) => get(format)(key, options)
const URL = 'https://api.weather.cmo'
const info = (code: ErrorInfo['code'], key: string, params: Record<string, string>): ErrorInfo => ({ code, message: 'English words of the core', details: { ref: { key, params } } })

describe('weather refusals of the URL and of the key', () => {
  afterAll(() => locale.set('en'))

  it('a host no DNS knows: the cause in words, then where to correct the URL', () => {
    const unknownHost = info('NETWORK', 'weather.unreachable', { service: 'The Weather Company', url: URL, reason: 'ENOTFOUND' })
    locale.set('en')
    expect(errorText(t, unknownHost)).toBe(
      `The Weather Company cannot be reached at ${URL}: no host has this name. Check the address for a typing mistake. If the address is wrong, correct the API URL in Extensions → Weather → Configure (Advanced).`,
    )
    locale.set('fr')
    expect(errorText(t, unknownHost)).toBe(
      `Impossible de joindre The Weather Company à ${URL}\u00a0: aucun hôte ne porte ce nom. Vérifiez l’adresse (faute de frappe\u202f?). Si l’adresse est fausse, corrigez l’URL de l’API dans Extensions → Météo → Configurer (Avancé).`,
    )
  })

  it('a refused connection from a URL the environment gave names the variable, not the card', () => {
    const refused = info('NETWORK', 'weather.envUnreachable', { service: 'Open-Meteo', url: 'http://127.0.0.1:9', reason: 'ECONNREFUSED', name: 'FIELDLINE_WEATHER_URL' })
    for (const language of ['en', 'fr']) {
      locale.set(language)
      const text = errorText(t, refused)
      expect(text).toContain('FIELDLINE_WEATHER_URL')
      expect(text).not.toContain('ECONNREFUSED')
      expect(text).not.toMatch(/Extensions/)
    }
  })

  it('a path that is not the API, and a key not licensed, say where to check them', () => {
    locale.set('en')
    expect(errorText(t, info('NOT_FOUND', 'weather.notWeatherApi', { url: `${URL}/v2` }))).toBe(
      `${URL}/v2 does not answer like a weather API. Check the API URL in Extensions → Weather → Configure (Advanced).`,
    )
    expect(errorText(t, info('FORBIDDEN', 'weather.forbidden', { service: 'The Weather Company' }))).toContain('Check the key in Extensions → Weather → Configure')
    expect(errorText(t, info('FORBIDDEN', 'weather.envForbidden', { service: 'The Weather Company', name: 'FIELDLINE_WEATHER_API_KEY' }))).toContain(
      'Check the environment variable FIELDLINE_WEATHER_API_KEY',
    )
    locale.set('fr')
    expect(errorText(t, info('NOT_FOUND', 'weather.envNotWeatherApi', { url: `${URL}/v2`, name: 'FIELDLINE_WEATHER_URL' }))).toBe(
      `${URL}/v2 ne répond pas comme une API météo. Vérifiez la variable d’environnement FIELDLINE_WEATHER_URL avec laquelle ce Fieldline a été démarré.`,
    )
    expect(errorText(t, info('FORBIDDEN', 'weather.forbidden', { service: 'The Weather Company' }))).toContain('Vérifiez la clé dans Extensions → Météo → Configurer')
  })
})
