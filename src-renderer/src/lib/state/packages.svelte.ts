import type { ErrorInfo } from '../../../../src-shared/contract'
import type { PackageDetail, PackageSummary } from '../../../../src-shared/models/packages'
import { api } from '../api'
import { toBridgeError } from '../errors'

/**
 * The library of custom device-management packages, as the core keeps it (validated, never invalid). The list is
 * loaded only while a view shows it (the Extensions card, the Packages page, a device's page), and reloaded on
 * `packages:changed` — from this window, another one, or the CLI through serve mode.
 */
class PackagesState {
  items = $state.raw<PackageSummary[]>([])
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #seq = 0
  #active = 0

  constructor() {
    api.on('packages:changed', () => {
      if (this.#active > 0) void this.load()
    })
    api.onReconnect(() => {
      if (this.#active > 0) void this.load()
    })
  }

  /** Returns the function that stops the refreshing (for a component's teardown). */
  activate(): () => void {
    this.#active++
    void this.load()
    return () => {
      this.#active--
    }
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('packages:list', {})
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.items = result.value.items
    this.error = null
    this.loaded = true
  }

  async get(bundleId: string): Promise<PackageDetail | ErrorInfo> {
    try {
      return await api.call('packages:get', { bundleId })
    } catch (e) {
      return toBridgeError(e)
    }
  }

  /** Returns the kept package, or the refusal: CONFLICT (dm.exists) unless `replace`, VALIDATION with diagnostics. */
  async add(text: string, replace: boolean): Promise<PackageSummary | ErrorInfo> {
    try {
      return await api.call('packages:add', { text, replace })
    } catch (e) {
      return toBridgeError(e)
    } finally {
      void this.load()
    }
  }

  async remove(bundleId: string): Promise<ErrorInfo | null> {
    try {
      await api.call('packages:remove', { bundleId })
      return null
    } catch (e) {
      return toBridgeError(e)
    } finally {
      void this.load()
    }
  }
}

export const packages = new PackagesState()
