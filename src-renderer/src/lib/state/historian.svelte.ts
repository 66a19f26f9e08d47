import type { ErrorInfo, Output, Result } from '../../../../src-shared/contract'
import type { DestinationStatus, HistorianStatus } from '../../../../src-shared/models/historian'
import type { CouchProfile, HistorianProfile, KafkaProfile } from '../../../../src-shared/models/profiles'
import { api } from '../api'
import { EventStore } from './event-store.svelte'
import { ProfilesState } from './profiles.svelte'

/** What "Verify connection" of a destination learnt: where it went, and whether the service was contacted at all. */
export interface DestinationVerify {
  where: string
  contacted: boolean
}

/** A forwarder profile checked by the core (its destinations exist and can sign in): what it will run. */
export interface ForwarderVerify {
  rules: number
  destinations: number
}

/** The core answers "verified" in English; the card says it in the operator's language from what was verified. */
async function verified<V>(call: Promise<Result<unknown>>, value: V): Promise<Result<V>> {
  const result = await call
  return result.ok ? { ok: true, value } : result
}

export const couchProfiles = new ProfilesState<CouchProfile, DestinationVerify>({
  extensions: ['couchdb'],
  is: (p): p is CouchProfile => p.extension === 'couchdb',
  verify: (p) => verified(api.invoke('profiles:verify', { extension: 'couchdb', id: p.id }), { where: p.settings.url, contacted: true }),
})

export const kafkaProfiles = new ProfilesState<KafkaProfile, DestinationVerify>({
  extensions: ['kafka'],
  is: (p): p is KafkaProfile => p.extension === 'kafka',
  // The REST producers have no call that reads without producing: their verification checks the settings only.
  verify: (p) =>
    verified(api.invoke('profiles:verify', { extension: 'kafka', id: p.id }), {
      where: p.settings.transport === 'native' ? p.settings.brokers.join(', ') : p.settings.restUrl,
      contacted: p.settings.transport === 'native',
    }),
})

export const historianProfiles = new ProfilesState<HistorianProfile, ForwarderVerify>({
  extensions: ['historian'],
  is: (p): p is HistorianProfile => p.extension === 'historian',
  verify: (p) =>
    verified(api.invoke('profiles:verify', { extension: 'historian', id: p.id }), {
      rules: p.settings.rules.length,
      destinations: p.settings.rules.flatMap((r) => r.destinations).filter((ref, i, all) => all.indexOf(ref) === i).length,
    }),
})

/** The forwarder's states in which it holds its queues and its sources. */
const ACTIVE = new Set<HistorianStatus['state']>(['starting', 'running', 'stopping'])

/**
 * The historian forwarder as the Extensions card shows it: its status (pushed at most once a second while it runs, and
 * on each change), Start and Stop, and Pause / Resume per destination. Kept current whether or not the card is on
 * screen, so the figures are there when the operator comes back.
 */
export class HistorianRun extends EventStore<HistorianStatus> {
  /** What the operator asked for and is waiting on: a second click must not start two forwarders. */
  busy = $state<'start' | 'stop' | null>(null)
  /** The destination whose pause or resume is on its way. */
  switching = $state<string | null>(null)
  /** Why the last Start, Stop, Pause or Resume was refused. */
  actionError = $state.raw<ErrorInfo | null>(null)

  constructor() {
    super(api, { refreshOn: [], live: 'always' })
    api.on('historian:status', (status) => this.accept(status))
  }

  get status(): HistorianStatus | null {
    return this.value
  }

  get active(): boolean {
    return this.value !== null && ACTIVE.has(this.value.state)
  }

  protected fetch(): Promise<Result<HistorianStatus>> {
    return api.invoke('historian:status', {})
  }

  async start(profileId: string | undefined): Promise<Result<HistorianStatus> | null> {
    if (this.busy) return null
    this.busy = 'start'
    this.actionError = null
    const result = await api.invoke('historian:start', profileId ? { profileId } : {})
    this.busy = null
    if (result.ok) this.accept(result.value)
    else this.actionError = result.error
    return result
  }

  /** The answer says how many events stayed queued on disk for the next start. */
  async stop(): Promise<Result<Output<'historian:stop'>> | null> {
    if (this.busy) return null
    this.busy = 'stop'
    this.actionError = null
    const result = await api.invoke('historian:stop', {})
    this.busy = null
    if (result.ok) this.accept(result.value.status)
    else this.actionError = result.error
    return result
  }

  pause(ref: DestinationStatus['ref']): Promise<Result<DestinationStatus> | null> {
    return this.#switch(ref, 'historian:pause')
  }

  resume(ref: DestinationStatus['ref']): Promise<Result<DestinationStatus> | null> {
    return this.#switch(ref, 'historian:resume')
  }

  async #switch(ref: DestinationStatus['ref'], channel: 'historian:pause' | 'historian:resume'): Promise<Result<DestinationStatus> | null> {
    if (this.switching) return null
    this.switching = ref
    this.actionError = null
    const result = await api.invoke(channel, { destination: ref })
    this.switching = null
    if (!result.ok) this.actionError = result.error
    else if (this.value) this.accept({ ...this.value, destinations: this.value.destinations.map((d) => (d.ref === ref ? result.value : d)) })
    return result
  }
}

export const historianRun = new HistorianRun()
