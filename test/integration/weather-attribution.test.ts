/**
 * The credit each weather provider's terms require links to the provider (docs/wire/weather.md §4.2: CC BY 4.0 for
 * Open-Meteo). The device panel shows it as a link, which the desktop shell opens in the operator's browser only for
 * allow-listed hosts: every provider's link must be one of them, or the credit would be a dead link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAllowedExternalUrl } from '../../src-main/electron/window-options'
import { createOpenMeteoClient } from '../../src-main/core/weather/open-meteo.client'
import { createTwcClient } from '../../src-main/core/weather/twc.client'
import type { WeatherClient } from '../../src-main/core/weather/weather-client'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

describe('weather attribution links', () => {
  let peer: WeatherPeer
  let clients: WeatherClient[] = []

  beforeAll(async () => {
    peer = await startWeatherPeer()
    clients = [
      createOpenMeteoClient({ baseUrl: peer.url, provider: 'open-meteo' }),
      createOpenMeteoClient({ baseUrl: peer.url, provider: 'open-meteo-commercial' }),
      createTwcClient({ baseUrl: peer.url, apiKey: TWC_TEST_KEY }),
    ]
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await peer.close()
  })

  it('are https links the desktop shell opens in the browser, for every provider', async () => {
    const links = await Promise.all(clients.map(async (c) => (await c.read(SITES.calm, { units: 'metric', language: 'en' })).attribution.url))
    expect(links).toHaveLength(3)
    for (const url of links) expect({ url, allowed: isAllowedExternalUrl(url) }).toEqual({ url, allowed: true })
  })
})
