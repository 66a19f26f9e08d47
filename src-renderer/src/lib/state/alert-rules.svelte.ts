import type { Output, Result } from '../../../../src-shared/contract'
import type { AlertRule, AlertRuleInput } from '../../../../src-shared/models/sim-inventory'
import { api } from '../api'
import { EventStore, itemsOf } from './event-store.svelte'

/** The usage alert rules, read while the Alert rules page is shown; "Check now" evaluates them over the cached inventory. */
class AlertRulesState extends EventStore<AlertRule[]> {
  checking = $state(false)

  constructor() {
    // Added or removed here, from the CLI on the same core, or brought back from the trash (Undo, the Trash view).
    super(api, { refreshOn: [{ event: 'alerts:changed' }], live: 'whileActive' })
  }

  get items(): AlertRule[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<AlertRule[]>> {
    return itemsOf(api.invoke('alerts:list', {}))
  }

  add(input: AlertRuleInput): Promise<Result<AlertRule>> {
    return this.write(api.invoke('alerts:add', input))
  }

  remove(id: string): Promise<Result<Output<'alerts:remove'>>> {
    return this.write(api.invoke('alerts:remove', { id }))
  }

  async check(): Promise<Result<Output<'alerts:check'>>> {
    this.checking = true
    const result = await api.invoke('alerts:check', {})
    this.checking = false
    return result
  }
}

export const alertRules = new AlertRulesState()
