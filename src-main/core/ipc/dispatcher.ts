import {
  channels,
  isChannelName,
  type ChannelName,
  type Output,
  type ParsedInput,
  type Result,
} from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import { parseOrThrow } from '../common/validation'


export type Handler<C extends ChannelName> = (input: ParsedInput<C>, ctx: CallContext) => Promise<Output<C>> | Output<C>
export type Handlers = { [C in ChannelName]: Handler<C> }

export interface Dispatcher {
  /** Never throws: every outcome, including unknown channels and bugs, comes back as a Result. */
  invoke(channel: unknown, input: unknown, ctx?: Partial<CallContext>): Promise<Result<unknown>>
}

export interface DispatcherOptions {
  onInternalError?: (channel: string, error: unknown) => void
  /** Names an unexpected failure the operator can act on (a full disk), instead of INTERNAL. */
  describeFailure?: (error: unknown) => AppError | undefined
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatcher {
  return {
    async invoke(channel, input, ctx) {
      if (!isChannelName(channel)) {
        return fail(new AppError('UNKNOWN_CHANNEL', `Unknown channel: ${String(channel).slice(0, 80)}`))
      }
      const spec = channels[channel]
      let data: unknown
      try {
        data = parseOrThrow(spec.input, input ?? {}, `input for ${channel}`)
      } catch (e) {
        return fail(e as AppError)
      }
      try {
        const handler = handlers[channel] as (i: unknown, c: CallContext) => unknown
        const value = await handler(data, { actor: ctx?.actor ?? 'operator' })
        const out = spec.output.safeParse(value)
        if (!out.success) {
          options.onInternalError?.(channel, out.error)
          return fail(new AppError('INTERNAL', `The core produced an invalid answer for ${channel}`))
        }
        return { ok: true, value: out.data }
      } catch (e) {
        if (isAppError(e)) return fail(e)
        const described = options.describeFailure?.(e)
        if (described) return fail(described)
        options.onInternalError?.(channel, e)
        return fail(new AppError('INTERNAL', `Unexpected failure in ${channel}`))
      }
    },
  }
}

function fail(e: AppError): Result<never> {
  return { ok: false, error: e.toInfo() }
}
