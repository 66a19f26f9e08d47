import type { ErrorInfo, Output, Settings } from '../../../../src-shared/contract'
import { setLanguage } from '../../i18n'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type AppInfo = Output<'app:info'>

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)')

/** Settings and app identity. The core persists settings; this is only their view in the renderer. */
class AppState {
  settings = $state<Settings | null>(null)
  info = $state<AppInfo | null>(null)
  error = $state<ErrorInfo | null>(null)
  systemDark = $state(darkQuery.matches)
  ready = $derived(this.settings !== null && this.info !== null)
  dark = $derived(
    this.settings?.theme === 'dark' || (this.settings?.theme !== 'light' && this.systemDark),
  )

  constructor() {
    darkQuery.addEventListener('change', (e) => {
      this.systemDark = e.matches
    })
    api.on('settings:changed', (settings) => this.#apply(settings))
    api.onReconnect(() => void this.load())
  }

  async load(): Promise<void> {
    try {
      const [settings, info] = await Promise.all([api.call('settings:get', {}), api.call('app:info', {})])
      this.info = info
      this.#apply(settings)
      this.error = null
      document.documentElement.dataset.appState = 'ready'
    } catch (e) {
      this.error = toBridgeError(e)
      if (!this.ready) document.documentElement.dataset.appState = 'error'
    }
  }

  /** Applies the change at once and rolls back if the core refuses it, so the controls never lie. */
  async update(patch: Partial<Settings>): Promise<ErrorInfo | null> {
    const previous = this.settings
    if (previous) this.#apply({ ...previous, ...patch })
    try {
      this.#apply(await api.call('settings:set', patch))
      return null
    } catch (e) {
      if (previous) this.#apply(previous)
      return toBridgeError(e)
    }
  }

  #apply(settings: Settings): void {
    this.settings = settings
    setLanguage(settings.language)
    document.documentElement.dataset.theme = settings.theme
  }
}

export const app = new AppState()
