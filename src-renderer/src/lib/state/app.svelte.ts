import type { Output, Result, Settings } from '../../../../src-shared/contract'
import { setLanguage } from '../../i18n'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type AppInfo = Output<'app:info'>

interface AppData {
  settings: Settings
  info: AppInfo
}

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)')

/** Settings and app identity. The core persists settings; this is only their view in the renderer. */
class AppState extends EventStore<AppData> {
  systemDark = $state(darkQuery.matches)
  readonly settings = $derived(this.value?.settings ?? null)
  readonly info = $derived(this.value?.info ?? null)
  readonly ready = $derived(this.value !== null)
  readonly dark = $derived(this.settings?.theme === 'dark' || (this.settings?.theme !== 'light' && this.systemDark))

  constructor() {
    super(api, { refreshOn: [], live: 'always' })
    darkQuery.addEventListener('change', (e) => {
      this.systemDark = e.matches
    })
    api.on('settings:changed', (settings) => {
      if (this.value) this.accept({ ...this.value, settings })
    })
  }

  protected async fetch(): Promise<Result<AppData>> {
    const [settings, info] = await Promise.all([api.invoke('settings:get', {}), api.invoke('app:info', {})])
    if (!settings.ok) return settings
    if (!info.ok) return info
    return { ok: true, value: { settings: settings.value, info: info.value } }
  }

  override async load(): Promise<Result<AppData> | null> {
    const result = await super.load()
    if (result?.ok) document.documentElement.dataset.appState = 'ready'
    else if (result && !this.ready) document.documentElement.dataset.appState = 'error'
    return result
  }

  protected override accept(value: AppData): void {
    super.accept(value)
    setLanguage(value.settings.language)
    document.documentElement.dataset.theme = value.settings.theme
  }

  /** Applies the change at once and rolls back if the core refuses it, so the controls never lie. */
  async update(patch: Partial<Settings>): Promise<Result<Settings>> {
    const previous = this.value
    if (previous) this.accept({ ...previous, settings: { ...previous.settings, ...patch } })
    const result = await api.invoke('settings:set', patch)
    if (result.ok && this.value) this.accept({ ...this.value, settings: result.value })
    else if (!result.ok && previous) this.accept(previous)
    return result
  }
}

export const app = new AppState()
