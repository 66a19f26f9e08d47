import type { ErrorInfo, DeviceKey, Input } from '../../../../src-shared/contract'
import type { InvocationResult } from '../../../../src-shared/models/packages'
import { api } from '../api'
import { isParameterProblem, type ParameterProblem } from '../dm-packages'
import { randomId } from '../random-id'

export type InvokeInput = Input<'packages:invoke'>

export type RunOutcome =
  | { kind: 'answered'; result: InvocationResult; actionId: string }
  | { kind: 'timedOut'; result: InvocationResult; actionId: string; timeoutSeconds: number }
  /** Refused before or while sending; `issues` names the parameters the core refused, by name. */
  | { kind: 'refused'; error: ErrorInfo; issues: Record<string, ParameterProblem> }

const TICK_MS = 1000

/**
 * Runs one package's actions on one device. An invocation waits for the device's answer for up to its timeout
 * (minutes, possibly): the call is simply awaited, so the rest of the page stays usable, and a once-a-second tick
 * drives the progress the operator watches meanwhile. It is `sent` only once the core says the request left
 * (`packages:invokeSent` for this run): before, the core is still setting up the wait for the response, and with the
 * broker just gone nothing leaves at all (cold trial: the page said "Action sent" then).
 */
export class ActionRunner {
  readonly device: DeviceKey
  readonly bundleId: string
  running = $state(false)
  /** Whether the running action's request has left for the device. */
  sent = $state(false)
  /** Seconds since the running action was sent (whole seconds, for the progress bar). */
  elapsed = $state(0)
  timeoutSeconds = $state(30)
  outcome = $state.raw<RunOutcome | null>(null)
  #timer: ReturnType<typeof setInterval> | undefined
  #disposed = false

  constructor(device: DeviceKey, bundleId: string) {
    this.device = device
    this.bundleId = bundleId
  }

  async run(input: { actionId: string; parameters: Record<string, string>; timeoutSeconds: number; platformProfile?: string }): Promise<void> {
    if (this.running) return
    this.running = true
    this.sent = false
    this.outcome = null
    this.timeoutSeconds = input.timeoutSeconds
    this.elapsed = 0
    const runId = randomId()
    // The device's time to answer counts from the sending, which the core says once done.
    const stopListening = api.on('packages:invokeSent', (event) => {
      if (event.runId !== runId || this.sent) return
      this.sent = true
      const started = Date.now()
      this.#timer = setInterval(() => {
        this.elapsed = Math.min(input.timeoutSeconds, Math.floor((Date.now() - started) / 1000))
      }, TICK_MS)
    })
    const request: InvokeInput = { ...this.device, bundleId: this.bundleId, ...input, runId }
    const result = await api.invoke('packages:invoke', request)
    stopListening()
    clearInterval(this.#timer)
    if (this.#disposed) return
    this.running = false
    this.sent = false
    if (result.ok) {
      this.outcome = result.value.timedOut
        ? { kind: 'timedOut', result: result.value, actionId: input.actionId, timeoutSeconds: input.timeoutSeconds }
        : { kind: 'answered', result: result.value, actionId: input.actionId }
      return
    }
    const issues: Record<string, ParameterProblem> = {}
    for (const issue of result.error.details?.issues ?? []) {
      if (isParameterProblem(issue.message)) issues[issue.path] = issue.message
    }
    this.outcome = { kind: 'refused', error: result.error, issues }
  }

  /** Forgets the last outcome (the operator changed the action it was about). */
  reset(): void {
    if (!this.running) this.outcome = null
  }

  dispose(): void {
    // The core still finishes (and audits) the invocation; only this page stops listening for it.
    this.#disposed = true
    clearInterval(this.#timer)
  }
}
