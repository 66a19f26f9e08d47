import type { ErrorInfo } from '../../../../src-shared/contract'
import type { DeviceRow } from '../../../../src-shared/models/device-query'
import type { SimRow } from '../../../../src-shared/models/sim-inventory'
import type { SyncShare, SyncStatus } from '../../../../src-shared/models/sync'
import { api } from '../api'
import { debounce } from '../debounce'
import { deviceSearchText, simSearchText } from '../palette-match'
import { router, type Route } from '../router.svelte'
import { refuses } from './role-gate.svelte'
import { DEFAULT_SIM_VIEW, searchOfSimView } from '../sim-view'

/** Devices asked of the index per search: the palette shows a short list, not a page. */
const DEVICES_SHOWN = 8
/** SIMs asked of the inventory per search (those no device holds: a held one comes with its device). */
const SIMS_SHOWN = 5
/** Long enough that a word typed quickly is one question to the index, short enough to feel immediate. */
const LOOKUP_MS = 120

/** A place or a deed the palette offers besides devices. `command` names the control that does the deed on its view. */
export interface PaletteCommand {
  id: string
  kind: 'view' | 'action'
  /** Message key of its name. */
  label: string
  route: Route
  command?: string
  /** The shared group the deed changes: not offered while the team server refuses this role's changes to it. */
  changes?: SyncShare
}

export const PALETTE_COMMANDS: readonly PaletteCommand[] = [
  { id: 'view-devices', kind: 'view', label: 'nav.devices', route: { name: 'devices' } },
  { id: 'view-extensions', kind: 'view', label: 'nav.extensions', route: { name: 'extensions' } },
  { id: 'view-sims', kind: 'view', label: 'nav.sims', route: { name: 'sims' } },
  { id: 'view-packages', kind: 'view', label: 'nav.packages', route: { name: 'packages' } },
  { id: 'view-mbed', kind: 'view', label: 'nav.mbed', route: { name: 'mbed' } },
  { id: 'view-ledger', kind: 'view', label: 'nav.ledger', route: { name: 'ledger' } },
  { id: 'view-inbox', kind: 'view', label: 'nav.inbox', route: { name: 'inbox' } },
  { id: 'view-alerts', kind: 'view', label: 'palette.views.alerts', route: { name: 'alerts' } },
  { id: 'view-jobs', kind: 'view', label: 'nav.jobs', route: { name: 'jobs' } },
  { id: 'view-team', kind: 'view', label: 'nav.team', route: { name: 'team' } },
  { id: 'view-activity', kind: 'view', label: 'nav.activity', route: { name: 'activity' } },
  { id: 'view-settings', kind: 'view', label: 'nav.settings', route: { name: 'settings' } },
  { id: 'view-trash', kind: 'view', label: 'palette.views.trash', route: { name: 'trash' } },
  { id: 'action-import', kind: 'action', label: 'palette.actions.importDevices', route: { name: 'devices' }, command: 'import-devices', changes: 'devices' },
  { id: 'action-add-device', kind: 'action', label: 'palette.actions.addDevice', route: { name: 'devices' }, command: 'add-device', changes: 'devices' },
  { id: 'action-mbed-start', kind: 'action', label: 'palette.actions.startMbedBridge', route: { name: 'mbed' }, command: 'start-mbed-bridge' },
  { id: 'action-new-job', kind: 'action', label: 'palette.actions.newBulkJob', route: { name: 'jobs' }, command: 'new-bulk-job' },
  { id: 'action-invite', kind: 'action', label: 'palette.actions.inviteUser', route: { name: 'team' }, command: 'invite-user', changes: 'teamSettings' },
]

/**
 * What the palette offers under this sync status: an action whose control the role turns off is left out, since
 * choosing it would open its view and press nothing (the control says why; the palette could not).
 */
export function offeredCommands(status: SyncStatus | null): PaletteCommand[] {
  return PALETTE_COMMANDS.filter((c) => c.changes === undefined || !refuses(status, c.changes))
}

/** How long an action waits for its view to show the control that does it. */
const COMMAND_WAIT_MS = 3000

/**
 * Does an action on the view that holds it: the view is opened and its control pressed, as the operator would (the
 * import opens the file chooser, "Add device" its form). A control that is disabled (the bridge has no profile yet) is
 * left alone: the view itself says why.
 */
function pressWhenShown(command: string): void {
  const until = performance.now() + COMMAND_WAIT_MS
  const look = () => {
    const control = document.querySelector<HTMLButtonElement>(`main [data-command="${command}"]`)
    if (control) {
      if (!control.disabled) control.click()
      return
    }
    if (performance.now() < until) requestAnimationFrame(look)
  }
  requestAnimationFrame(look)
}

/** The palette's search: the text typed, and the devices and SIMs the core found for it (the latest question wins). */
export class PaletteState {
  open = $state(false)
  query = $state('')
  devices = $state.raw<DeviceRow[]>([])
  /** SIMs of the inventory that no device's configuration names, found by a fragment of their ICCID or serial number. */
  sims = $state.raw<SimRow[]>([])
  /** A search is under way for the text shown. */
  searching = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #asked = 0
  readonly #lookup = debounce((text: string) => void this.#find(text), LOOKUP_MS)

  show(): void {
    this.open = true
  }

  close(): void {
    this.open = false
    this.setQuery('')
  }

  setQuery(query: string): void {
    this.query = query
    const text = deviceSearchText(query)
    if (text === '') {
      this.#lookup.cancel()
      this.#asked++
      this.devices = []
      this.sims = []
      this.searching = false
      this.error = null
      return
    }
    this.searching = true
    this.#lookup(text)
  }

  async #find(text: string): Promise<void> {
    const asked = ++this.#asked
    const simText = simSearchText(text)
    const [devices, sims] = await Promise.all([
      api.invoke('devices:query', { query: { text }, limit: DEVICES_SHOWN }),
      simText === '' ? null : api.invoke('sims:query', { query: { filters: { text: simText, attached: false }, sort: 'simId', descending: false }, limit: SIMS_SHOWN }),
    ])
    if (asked !== this.#asked) return
    this.searching = false
    this.devices = devices.ok ? devices.value.items : []
    this.sims = sims?.ok ? sims.value.items : []
    this.error = !devices.ok ? devices.error : sims && !sims.ok ? sims.error : null
  }

  /** Goes where an entry leads; the palette closes first, so its opener does not take the focus back afterwards. */
  go(target: { device: DeviceRow } | { sim: SimRow } | { command: PaletteCommand }): void {
    this.close()
    if ('device' in target) {
      router.go({ name: 'device', typeId: target.device.typeId, deviceId: target.device.deviceId })
      return
    }
    if ('sim' in target) {
      router.go({ name: 'sims' }, searchOfSimView({ ...DEFAULT_SIM_VIEW, text: target.sim.simId, filters: { carrier: [target.sim.carrier] } }))
      return
    }
    router.go(target.command.route)
    if (target.command.command) pressWhenShown(target.command.command)
  }
}

export const palette = new PaletteState()
