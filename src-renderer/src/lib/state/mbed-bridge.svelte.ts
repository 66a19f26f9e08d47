import type { Input, Output, Result } from '../../../../src-shared/contract'
import type { MbedBridgeCounters, MbedBridgeStatus, MbedCommandView } from '../../../../src-shared/models/mbed'
import { api } from '../api'
import { EventStore } from './event-store.svelte'
import { NotificationStream } from './mbed-stream.svelte'

export type MbedEndpoint = Output<'mbed:endpoints'>['items'][number]
export type MbedImportReport = Output<'mbed:import'>
export type SendCommandInput = Input<'mbed:sendCommand'>

/** Commands this window lists: the core keeps its own bounded history; this only bounds the table. */
const COMMANDS_SHOWN = 500

interface Snapshot {
  status: MbedBridgeStatus
  counters: MbedBridgeCounters
  commands: MbedCommandView[]
}

/**
 * mbed's endpoints for one profile, listed when the operator asks. A failed refresh keeps the list it could not
 * renew; a failed first listing of another profile has none to keep.
 */
class MbedEndpoints extends EventStore<{ profileId: string | null; items: MbedEndpoint[] }> {
  loading = $state(false)
  /** The profile the last error is about: another profile's error must not show for this one. */
  errorFor = $state<string | null>(null)
  #profileId: string | null = null

  constructor() {
    super(api, { refreshOn: [], live: 'whileActive' })
  }

  /** The list for this profile, or null when it was not listed (or another profile's is kept). */
  for(profileId: string | null): MbedEndpoint[] | null {
    return this.value?.profileId === profileId ? this.value.items : null
  }

  protected async fetch(): Promise<Result<{ profileId: string | null; items: MbedEndpoint[] }>> {
    const profileId = this.#profileId
    const result = await api.invoke('mbed:endpoints', profileId ? { profileId } : {})
    return result.ok ? { ok: true, value: { profileId, items: result.value.items } } : result
  }

  async list(profileId: string | null): Promise<void> {
    this.#profileId = profileId
    this.loading = true
    const result = await this.load()
    if (result === null) return
    this.loading = false
    this.errorFor = result.ok ? null : profileId
    if (!result.ok && this.value?.profileId !== profileId) this.value = null
  }
}

/**
 * The mbed bridge as the mbed view shows it: state (pushed on each change), counters (pushed once a second), the
 * live notification stream, the commands sent through it with their async responses, and mbed's endpoints.
 *
 * Events are taken whether or not the view is open, so the stream and the counters are still there when the operator
 * comes back to it; the request-shaped data (status, commands) is read again when the view opens.
 */
class MbedBridgeState extends EventStore<Snapshot> {
  status = $state.raw<MbedBridgeStatus | null>(null)
  counters = $state.raw<MbedBridgeCounters | null>(null)
  commands = $state.raw<MbedCommandView[]>([])
  /** What the operator asked for and is waiting on: a second click must not start two bridges. */
  busy = $state<'start' | 'stop' | null>(null)
  readonly stream = new NotificationStream()
  readonly endpoints = new MbedEndpoints()

  constructor() {
    super(api, { refreshOn: [], live: 'whileActive' })
    api.on('mbed:state', (status) => {
      // A new run counts from zero: the last run's counters (kept after its stop) would speak for it until its first push.
      if (status.state === 'starting' && this.status?.state !== 'starting') this.counters = null
      this.status = status
    })
    api.on('mbed:counters', (counters) => {
      this.counters = counters
    })
    api.on('mbed:notifications', (event) => this.stream.push(event))
    api.on('mbed:command', (command) => this.#upsert(command))
  }

  get running(): boolean {
    return this.status?.state === 'running' || this.status?.state === 'degraded'
  }

  protected async fetch(): Promise<Result<Snapshot>> {
    const [status, commands] = await Promise.all([api.invoke('mbed:status', {}), api.invoke('mbed:commands', {})])
    if (!status.ok) return status
    return { ok: true, value: { ...status.value, commands: commands.ok ? commands.value.items.slice(0, COMMANDS_SHOWN) : this.commands } }
  }

  protected override accept(snapshot: Snapshot): void {
    super.accept(snapshot)
    this.status = snapshot.status
    // A stopped bridge reports zeros: the last run's figures are worth more than those until another run starts.
    if (snapshot.status.state !== 'stopped' || this.counters === null) this.counters = snapshot.counters
    this.commands = snapshot.commands
  }

  async start(profileId: string | undefined): Promise<Result<MbedBridgeStatus> | null> {
    if (this.busy) return null
    this.busy = 'start'
    const result = await api.invoke('mbed:start', profileId ? { profileId } : {})
    if (result.ok) {
      this.status = result.value
      // A new bridge starts with no commands; the previous one's are gone with it.
      const commands = await api.invoke('mbed:commands', {})
      if (commands.ok) this.commands = commands.value.items.slice(0, COMMANDS_SHOWN)
    }
    this.busy = null
    return result
  }

  /** The answer says how many messages could not be delivered before the bridge stopped. */
  async stop(): Promise<Result<Output<'mbed:stop'>> | null> {
    if (this.busy) return null
    this.busy = 'stop'
    const result = await api.invoke('mbed:stop', {})
    if (result.ok) this.status = result.value.status
    this.busy = null
    return result
  }

  async sendCommand(input: SendCommandInput): Promise<Result<MbedCommandView>> {
    const result = await api.invoke('mbed:sendCommand', input)
    if (result.ok) this.#upsert(result.value)
    return result
  }

  importEndpoints(profileId: string | undefined, names: string[]): Promise<Result<MbedImportReport>> {
    return api.invoke('mbed:import', { ...(profileId ? { profileId } : {}), names })
  }

  #upsert(command: MbedCommandView): void {
    const rest = this.commands.filter((c) => c.id !== command.id)
    // Newest first, as the core lists them; an update keeps its place by creation time.
    const next = [command, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    this.commands = next.length > COMMANDS_SHOWN ? next.slice(0, COMMANDS_SHOWN) : next
  }
}

export const mbedBridge = new MbedBridgeState()
