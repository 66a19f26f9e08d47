import type { Input, Output, Result } from '../../../../src-shared/contract'
import type { WeatherSettingsView } from '../../../../src-shared/models/weather'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type WeatherSave = Input<'weather:saveSettings'>
export type WeatherVerify = Output<'weather:verify'>

/**
 * The weather extension's settings as the core shows them: provider, units, language, URLs, and for each API key only
 * whether it is set. A key typed in the form travels to the core once and never comes back.
 */
class WeatherSettingsState extends EventStore<WeatherSettingsView> {
  constructor() {
    // The CLI (through serve mode) or another window may change them: main is the source of truth. Unsaved, their
    // language is the interface's, which the settings change.
    super(api, { refreshOn: [{ event: 'weather:changed' }, { event: 'settings:changed' }], live: 'always' })
  }

  get view(): WeatherSettingsView | null {
    return this.value
  }

  protected fetch(): Promise<Result<WeatherSettingsView>> {
    return api.invoke('weather:getSettings', {})
  }

  async save(input: WeatherSave): Promise<Result<WeatherSettingsView>> {
    const result = await api.invoke('weather:saveSettings', input)
    // The answer is the new state: show it now rather than after the event's round trip.
    if (result.ok) this.accept(result.value)
    return result
  }

  /** One real request with the settings in use. */
  verify(): Promise<Result<WeatherVerify>> {
    return api.invoke('weather:verify', {})
  }
}

export const weatherSettings = new WeatherSettingsState()
