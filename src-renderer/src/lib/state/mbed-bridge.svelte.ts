import type { ErrorInfo, Input, Output } from '../../../../src-shared/contract'
import type { MbedBridgeCounters, MbedBridgeStatus, MbedCommandView } from '../../../../src-shared/models/mbed'
import { api } from '../api'
import { toBridgeError } from '../errors'
import { NotificationStream } from './mbed-stream.svelte'

export type MbedEndpoint = Output<'mbed:endpoints'>['items'][number]
export type MbedImportReport = Output<'mbed:import'>
export type SendCommandInput = Input<'mbed:sendCommand'>

/** Commands this window lists: the core keeps its own bounded history; this only bounds the table. */
const COMMANDS_SHOWN = 500

/**
 * The mbed bridge as the mbed view shows it: state (pushed on each change), counters (pushed once a second),
 * the live notification stream, the commands sent through it with their async responses, and mbed's endpoints.
 *
 * Events are taken whether or not the view is open, so the stream and the counters are still there when the
 * operator comes back to it; the request-shaped data (status, commands) is re-read when the view opens.
 */
class MbedBridgeState {
  status = $state.raw<MbedBridgeStatus | null>(null)
  counters = $state.raw<MbedBridgeCounters | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  /** What the operator asked for and is waiting on: a second click must not start two bridges. */
  busy = $state<'start' | 'stop' | null>(null)
  commands = $state.raw<MbedCommandView[]>([])
  endpoints = $state.raw<MbedEndpoint[] | null>(null)
  /** The profile `endpoints` were listed for: another profile's list must not pass for this one's. */
  endpointsProfile = $state<string | null>(null)
  endpointsError = $state.raw<ErrorInfo | null>(null)
  endpointsLoading = $state(false)
  readonly stream = new NotificationStream()
  #active = 0
  #seq = 0
  #endpointsSeq = 0

  constructor() {
    api.on('mbed:state', (status) => {
      this.status = status
    })
    api.on('mbed:counters', (counters) => {
      this.counters = counters
    })
    api.on('mbed:notifications', (event) => this.stream.push(event))
    api.on('mbed:command', (command) => this.#upsert(command))
    // An event sent while the socket was down is lost: read the state again.
    api.onReconnect(() => {
      if (this.#active > 0) void this.load()
    })
  }

  get running(): boolean {
    return this.status?.state === 'running' || this.status?.state === 'degraded'
  }

  /** Returns the function that ends the view's interest (for a component's teardown). */
  activate(): () => void {
    this.#active++
    void this.load()
    return () => {
      this.#active--
    }
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const [status, commands] = await Promise.all([api.invoke('mbed:status', {}), api.invoke('mbed:commands', {})])
    if (seq !== this.#seq) return
    if (!status.ok) {
      this.error = status.error
      return
    }
    this.status = status.value.status
    // A stopped bridge reports zeros: the last run's figures are worth more than those until another run starts.
    if (status.value.status.state !== 'stopped' || this.counters === null) this.counters = status.value.counters
    if (commands.ok) this.commands = commands.value.items.slice(0, COMMANDS_SHOWN)
    this.error = null
  }

  async start(profileId: string | undefined): Promise<ErrorInfo | null> {
    if (this.busy) return null
    this.busy = 'start'
    try {
      this.status = await api.call('mbed:start', profileId ? { profileId } : {})
      // A new bridge starts with no commands; the previous one's are gone with it.
      const commands = await api.invoke('mbed:commands', {})
      if (commands.ok) this.commands = commands.value.items.slice(0, COMMANDS_SHOWN)
      return null
    } catch (e) {
      return toBridgeError(e)
    } finally {
      this.busy = null
    }
  }

  /** Returns how many messages could not be delivered before the bridge stopped, or the error. */
  async stop(): Promise<number | ErrorInfo> {
    if (this.busy) return 0
    this.busy = 'stop'
    try {
      const result = await api.call('mbed:stop', {})
      this.status = result.status
      return result.undelivered
    } catch (e) {
      return toBridgeError(e)
    } finally {
      this.busy = null
    }
  }

  async sendCommand(input: SendCommandInput): Promise<MbedCommandView | ErrorInfo> {
    try {
      const command = await api.call('mbed:sendCommand', input)
      this.#upsert(command)
      return command
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async loadEndpoints(profileId: string | undefined): Promise<void> {
    const seq = ++this.#endpointsSeq
    this.endpointsLoading = true
    const result = await api.invoke('mbed:endpoints', profileId ? { profileId } : {})
    if (seq !== this.#endpointsSeq) return
    this.endpointsLoading = false
    const forProfile = profileId ?? null
    if (result.ok) {
      this.endpoints = result.value.items
      this.endpointsError = null
    } else {
      // A failed refresh keeps the list it could not renew; a failed first listing has none to keep.
      if (this.endpointsProfile !== forProfile) this.endpoints = null
      this.endpointsError = result.error
    }
    this.endpointsProfile = forProfile
  }

  async importEndpoints(profileId: string | undefined, names: string[]): Promise<MbedImportReport | ErrorInfo> {
    try {
      return await api.call('mbed:import', { ...(profileId ? { profileId } : {}), names })
    } catch (e) {
      return toBridgeError(e)
    }
  }

  #upsert(command: MbedCommandView): void {
    const rest = this.commands.filter((c) => c.id !== command.id)
    // Newest first, as the core lists them; an update keeps its place by creation time.
    const next = [command, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    this.commands = next.length > COMMANDS_SHOWN ? next.slice(0, COMMANDS_SHOWN) : next
  }
}

export const mbedBridge = new MbedBridgeState()
