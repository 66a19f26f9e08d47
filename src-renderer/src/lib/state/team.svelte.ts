import type { ErrorInfo, Input } from '../../../../src-shared/contract'
import type { Invitation, InvitationState } from '../../../../src-shared/models/mail'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type InviteInput = Input<'team:invite'>

/**
 * Operator invitations, newest first, optionally narrowed to one state. The list is loaded only while the Team
 * page shows it, and reloaded on `team:changed` (a send finishing, another window revoking).
 */
class TeamState {
  items = $state.raw<Invitation[]>([])
  /** null shows every state. */
  filter = $state<InvitationState | null>(null)
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  /** Invitations with a resend or revoke on its way, so their buttons wait for it. */
  busy = $state.raw<ReadonlySet<string>>(new Set())
  #seq = 0
  #active = 0

  constructor() {
    api.on('team:changed', () => {
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

  setFilter(state: InvitationState | null): void {
    this.filter = state
    void this.load()
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('team:list', this.filter ? { state: this.filter } : {})
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.items = result.value.items
    this.error = null
    this.loaded = true
  }

  /**
   * Creates the invitation and sends it. An invitation that could not be sent still exists (state "failed", with
   * the reason); only a refusal before it was created comes back as an error.
   */
  async invite(input: InviteInput): Promise<Invitation | ErrorInfo> {
    try {
      return await api.call('team:invite', input)
    } catch (e) {
      return toBridgeError(e)
    } finally {
      void this.load()
    }
  }

  resend(id: string): Promise<Invitation | ErrorInfo> {
    return this.#act(id, () => api.call('team:resend', { id }))
  }

  revoke(id: string): Promise<Invitation | ErrorInfo> {
    return this.#act(id, () => api.call('team:revoke', { id }))
  }

  async #act(id: string, run: () => Promise<Invitation>): Promise<Invitation | ErrorInfo> {
    this.busy = new Set([...this.busy, id])
    try {
      return await run()
    } catch (e) {
      return toBridgeError(e)
    } finally {
      this.busy = new Set([...this.busy].filter((b) => b !== id))
      void this.load()
    }
  }
}

export const team = new TeamState()
