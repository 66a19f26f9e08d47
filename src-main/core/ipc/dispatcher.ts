import { channels, isChannelName, type ChannelName, type Output, type ParsedInput, type Result } from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import { osActor } from '../common/os-actor'
import { parseOrThrow } from '../common/validation'
import type { z } from 'zod'

/**
 * The schema a channel's input is parsed with: its own, made strict when it is an object, so that no channel
 * accepts a key it does not name even if its schema forgot `.strict()` (nested objects are the schema's own
 * business; test/unit/contract-inputs.test.ts checks them).
 */
export function inputSchemaOf(channel: ChannelName): z.ZodType {
  const schema = channels[channel].input as z.ZodType
  const def = (schema as unknown as { _zod: { def: { type: string } } })._zod.def
  return def.type === 'object' ? (schema as unknown as z.ZodObject).strict() : schema
}

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
  const inputs = new Map<ChannelName, z.ZodType>()
  return {
    async invoke(channel, input, ctx) {
      if (!isChannelName(channel)) {
        return fail(new AppError('UNKNOWN_CHANNEL', `Unknown channel: ${String(channel).slice(0, 80)}`))
      }
      const spec = channels[channel]
      let inputSchema = inputs.get(channel)
      if (!inputSchema) inputs.set(channel, (inputSchema = inputSchemaOf(channel)))
      let data: unknown
      try {
        data = parseOrThrow(inputSchema, input ?? {}, `input for ${channel}`)
      } catch (e) {
        return fail(e as AppError)
      }
      try {
        const handler = handlers[channel] as (i: unknown, c: CallContext) => unknown
        const value = await handler(data, { actor: ctx?.actor ?? osActor() })
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
