import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { InvocationResult } from '../../../src-shared/models/packages'
import { AppError } from '../common/errors'
import type { PlatformLink } from '../platform/link'
import { dmCustomActionTopic, dmResponseTopic } from '../platform/topics'
import { compileFullMatch } from '../../../src-shared/models/full-match'
import type { DmAction } from '../../../src-shared/models/packages'

/** A device's answer (docs/wire/platform-mqtt.md §3): `{"rc": 200, "reqId": "…"}`; anything else on the topic is ignored. */
const responseSchema = z.object({ rc: z.number().int(), reqId: z.string() })

export interface FieldProblem {
  name: string
  problem: 'required' | 'mismatch' | 'unknown' | 'unchecked'
}

/**
 * The fields of a custom action request from what the operator supplied: defaults fill what is missing,
 * required parameters must have a value, and every value must match its parameter's pattern as a whole — with
 * the validator's backtracking-free matcher, so a package's pattern can never hang the core on a value.
 */
export function buildFields(action: DmAction, supplied: Record<string, string>): { fields: { field: string; value: string }[]; problems: FieldProblem[] } {
  const params = action.parameters ?? []
  const known = new Set(params.map((p) => p.name))
  const problems: FieldProblem[] = Object.keys(supplied)
    .filter((name) => !known.has(name))
    .map((name) => ({ name, problem: 'unknown' as const }))
  const fields: { field: string; value: string }[] = []
  for (const p of params) {
    const value = supplied[p.name] !== undefined && supplied[p.name] !== '' ? supplied[p.name] : p.defaultValue
    if (value === undefined) {
      if (p.required) problems.push({ name: p.name, problem: 'required' })
      continue
    }
    if (p.value !== undefined) {
      const matcher = compileFullMatch(p.value)
      const ok = matcher.ok ? matcher.test(value, { remaining: 10_000_000 }) : undefined
      if (ok === false) problems.push({ name: p.name, problem: 'mismatch' })
      else if (ok === undefined) problems.push({ name: p.name, problem: 'unchecked' })
    }
    fields.push({ field: p.name, value })
  }
  return { fields, problems }
}

export interface InvokeRequest {
  link: PlatformLink
  typeId: string
  deviceId: string
  bundleId: string
  actionId: string
  fields: { field: string; value: string }[]
  timeoutMs: number
  /** Called once the broker has the request (published): before that nothing has left, whatever the caller shows. */
  onSent?: () => void
}

/**
 * Publishes the custom action to the device (as a gateway would, docs/wire/platform-mqtt.md §3: iotdm-1/type/…/id/…/mgmt/custom/
 * <bundleId>/<actionId>, `{"d": {"fields": […]}, "reqId"}`) and waits for the response with the same reqId on
 * iotdevice-1/type/…/id/…/response. The subscription is in place before the request leaves, so a fast device
 * cannot answer into the void.
 */
export async function invokeAction(req: InvokeRequest): Promise<InvocationResult> {
  const reqId = randomUUID()
  const topic = dmCustomActionTopic(req.typeId, req.deviceId, req.bundleId, req.actionId)
  if (req.link.state !== 'connected') {
    throw AppError.withRef('NETWORK', `Not connected to the platform's MQTT broker (${req.link.state}); the action was not sent`, { key: 'platform.notConnected', params: { state: req.link.state } })
  }
  let settle: (rc: number | null) => void = () => undefined
  const answered = new Promise<number | null>((resolve) => (settle = resolve))
  const unsubscribe = req.link.subscribe(dmResponseTopic(req.typeId, req.deviceId), (_topic, payload) => {
    let parsed: unknown
    try {
      parsed = JSON.parse(payload.toString('utf8'))
    } catch {
      return
    }
    const answer = responseSchema.safeParse(parsed)
    if (answer.success && answer.data.reqId === reqId) settle(answer.data.rc)
  })
  const timer = setTimeout(() => settle(null), req.timeoutMs)
  try {
    // The broker may go away between the state check and the grant: the timeout then ends the wait, unsent.
    const subscribed = await Promise.race([unsubscribe.ready.then(() => true), answered.then(() => false)])
    if (!subscribed) {
      // The link may still say "connected" (a broker just killed): the key says what did not happen, not the state.
      throw AppError.withRef('NETWORK', "The platform's MQTT broker did not accept the response subscription in time; the action was not sent", {
        key: 'dm.notSubscribed',
        params: { seconds: Math.ceil(req.timeoutMs / 1000) },
      })
    }
    await req.link.publish(topic, { d: { fields: req.fields }, reqId }, { qos: 1 })
    req.onSent?.()
    const rc = await answered
    return { reqId, rc, timedOut: rc === null, topic }
  } finally {
    clearTimeout(timer)
    unsubscribe()
  }
}
