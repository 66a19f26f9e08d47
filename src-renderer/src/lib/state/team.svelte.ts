import type { Input, Output, Result } from '../../../../src-shared/contract'
import type { Invitation, InvitationState, InviteCheck } from '../../../../src-shared/models/mail'
import { api } from '../api'
import { EventStore, itemsOf } from './event-store.svelte'

export type InviteInput = Input<'team:invite'>

/**
 * Operator invitations, newest first, optionally narrowed to one state. Read only while the Team page shows them,
 * and again on `team:changed` (a send finishing, another window revoking).
 */
class TeamState extends EventStore<Invitation[]> {
  /** null shows every state. */
  filter = $state<InvitationState | null>(null)
  /** Invitations with a resend or revoke on its way, so their buttons wait for it. */
  busy = $state.raw<ReadonlySet<string>>(new Set())

  constructor() {
    super(api, { refreshOn: [{ event: 'team:changed' }], live: 'whileActive' })
  }

  get items(): Invitation[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<Invitation[]>> {
    return itemsOf(api.invoke('team:list', this.filter ? { state: this.filter } : {}))
  }

  setFilter(state: InvitationState | null): void {
    this.filter = state
    void this.load()
  }

  /**
   * Creates the invitation and sends it. An invitation that could not be sent still exists (state "failed", with
   * the reason); only a refusal before it was created comes back as an error.
   */
  /** Whether an invitation sent now carries a code to join the team server (the core asks the server), and why not. */
  inviteCheck(): Promise<Result<InviteCheck>> {
    return api.invoke('team:inviteCheck', {})
  }

  invite(input: InviteInput): Promise<Result<Invitation>> {
    return this.write(api.invoke('team:invite', input))
  }

  resend(id: string): Promise<Result<Invitation>> {
    return this.#act(id, () => api.invoke('team:resend', { id }))
  }

  revoke(id: string): Promise<Result<Invitation>> {
    return this.#act(id, () => api.invoke('team:revoke', { id }))
  }

  /** Takes an invitation whose outcome is unknown as sent, without sending it. */
  dismiss(id: string): Promise<Result<Invitation>> {
    return this.#act(id, () => api.invoke('team:dismiss', { id }))
  }

  /** Moves the invitation to the trash; the answer names the trash entry, for Undo. */
  remove(id: string): Promise<Result<Output<'team:remove'>>> {
    return this.write(api.invoke('team:remove', { id }))
  }

  async #act(id: string, run: () => Promise<Result<Invitation>>): Promise<Result<Invitation>> {
    this.busy = new Set([...this.busy, id])
    const result = await this.write(run())
    this.busy = new Set([...this.busy].filter((b) => b !== id))
    return result
  }
}

export const team = new TeamState()
