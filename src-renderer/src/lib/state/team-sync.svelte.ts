import type { Input, Output, Result } from '../../../../src-shared/contract'
import type { DeviceKey } from '../../../../src-shared/models/device-id'
import { profileNamesakes } from '../../../../src-shared/models/profile-rules'
import type { Profile } from '../../../../src-shared/models/profiles'
import type { SyncSettingsView, SyncStatus } from '../../../../src-shared/models/sync'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type TeamSyncSave = Input<'sync:saveSettings'>
export type TeamSyncVerify = Output<'sync:verify'>
export type TeamSyncJoin = Input<'sync:join'>
export type TeamSyncJoined = Output<'sync:join'>

/** Team sync's settings as the core shows them: the server, the database, what is shared, and only whether a secret is set. */
class TeamSyncSettingsState extends EventStore<SyncSettingsView> {
  constructor() {
    super(api, { refreshOn: [], live: 'always' })
  }

  get view(): SyncSettingsView | null {
    return this.value
  }

  protected fetch(): Promise<Result<SyncSettingsView>> {
    return api.invoke('sync:getSettings', {})
  }

  async save(input: TeamSyncSave): Promise<Result<Output<'sync:saveSettings'>>> {
    const result = await api.invoke('sync:saveSettings', input)
    if (result.ok) {
      // The view holds the settings; whether the server was checked is the form's to say.
      const { unchecked: _unchecked, ...view } = result.value
      this.accept(view)
    }
    return result
  }

  verify(): Promise<Result<TeamSyncVerify>> {
    return api.invoke('sync:verify', {})
  }

  /** Creates the team database, its access rules and validation on the server (a server admin's step; audited). */
  setup(): Promise<Result<Output<'sync:setup'>>> {
    return api.invoke('sync:setup', {})
  }

  /** Joins with an invitation code; the settings it saved are read back (the core returns who joined, not the view). */
  async join(input: TeamSyncJoin): Promise<Result<TeamSyncJoined>> {
    const result = await api.invoke('sync:join', input)
    if (result.ok) this.refresh()
    return result
  }
}

/** The live sync's state, kept current by the core's 'sync:status' pushes (at most one a second, and on each change). */
class TeamSyncStatusState extends EventStore<SyncStatus> {
  constructor() {
    super(api, { refreshOn: [{ event: 'sync:conflicts' }], live: 'always' })
    // The push is the status itself: taken as it is, with no read back.
    api.on('sync:status', (status) => this.accept(status))
  }

  get status(): SyncStatus | null {
    return this.value
  }

  /** The team server gives this computer's user the viewer role: it refuses every change, so editing is off. */
  get readOnly(): boolean {
    return this.value?.role === 'viewer'
  }

  protected fetch(): Promise<Result<SyncStatus>> {
    return api.invoke('sync:status', {})
  }

  async start(): Promise<Result<SyncStatus>> {
    const result = await api.invoke('sync:start', {})
    if (result.ok) this.accept(result.value)
    return result
  }

  async stop(): Promise<Result<SyncStatus>> {
    const result = await api.invoke('sync:stop', {})
    if (result.ok) this.accept(result.value)
    return result
  }

  /** Drops this computer's unsent change to a refused document; the core pushes the status without it. */
  discard(id: string): Promise<Result<Output<'sync:discard'>>> {
    return api.invoke('sync:discard', { id })
  }
}

export type TeamSyncConflicts = Output<'sync:conflicts'>
export type TeamSyncResolve = Input<'sync:resolve'>

/** The documents in conflict, read again when the core says conflicts appeared or went (a pull, a resolution). */
class TeamSyncConflictsState extends EventStore<TeamSyncConflicts> {
  constructor() {
    super(api, { refreshOn: [{ event: 'sync:conflicts' }], live: 'always' })
  }

  get list(): TeamSyncConflicts | null {
    return this.value
  }

  protected fetch(): Promise<Result<TeamSyncConflicts>> {
    return api.invoke('sync:conflicts', { limit: 100 })
  }

  resolve(input: TeamSyncResolve): Promise<Result<Output<'sync:resolve'>>> {
    return this.write(api.invoke('sync:resolve', input))
  }
}

/** One device's conflicts (its document's and its draft's), for its page: read again when conflicts appear or go. */
export class DeviceConflicts extends EventStore<TeamSyncConflicts> {
  readonly #device: DeviceKey

  constructor(device: DeviceKey) {
    super(api, { refreshOn: [{ event: 'sync:conflicts' }], live: 'always' })
    this.#device = device
  }

  get items(): TeamSyncConflicts['items'] {
    return this.value?.items ?? []
  }

  protected fetch(): Promise<Result<TeamSyncConflicts>> {
    return api.invoke('sync:conflicts', { limit: 1, device: this.#device })
  }
}

/**
 * The profiles of one kind that share a name (profileNamesakes): the same name given on two computers syncs as two
 * profiles, not as a conflict, so they are listed beside the conflicts until one is renamed or deleted.
 */
class TeamSyncNamesakesState extends EventStore<Profile[][]> {
  constructor() {
    super(api, { refreshOn: [{ event: 'profiles:changed' }], live: 'always' })
  }

  get groups(): readonly Profile[][] {
    return this.value ?? []
  }

  protected async fetch(): Promise<Result<Profile[][]>> {
    const listed = await api.invoke('profiles:list', {})
    return listed.ok ? { ok: true, value: profileNamesakes(listed.value.items) } : listed
  }
}

export const teamSyncSettings = new TeamSyncSettingsState()
export const teamSyncStatus = new TeamSyncStatusState()
export const teamSyncConflicts = new TeamSyncConflictsState()
export const teamSyncNamesakes = new TeamSyncNamesakesState()
