import { countText } from '../../../src-shared/models/count-text'
import type { Command } from 'commander'
import { controlCenterExtensionSchema, type ControlCenterExtension } from '../../../src-shared/models/profiles'
import { cycleDateSchema, SETTABLE_SIM_STATES } from '../../../src-shared/contract'
import { isAppError } from '../../core/common/errors'
import type { ControlCenterClient, DeviceChanges } from '../../core/carriers/control-center/control-center.client'
import { normaliseControlCenterStatus, refuseEndOfLife } from '../../core/carriers/sim-model'
import { appendAudit } from '../../core/store/audit.store'
import { CliError, EXIT, cliActor, type Runtime } from '../runtime'
import { instantOption } from '../instant-option'
import { statusWord } from '../status-word'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

interface SimOptions {
  profile?: string
  carrier: string
}

/** The REST spellings the help documents, mapped to the states Fieldline can set (statusWord takes both spellings). */
const STATE_ARGS: Record<string, (typeof SETTABLE_SIM_STATES)[number]> = {
  INVENTORY: 'inventory',
  ACTIVATION_READY: 'activationReady',
  ACTIVATED: 'activated',
  DEACTIVATED: 'deactivated',
  RETIRED: 'retired',
}

/**
 * A client from a saved profile (--profile) or, for scripts, from FIELDLINE_CC_* variables. Secrets come from
 * the vault or the environment, never from arguments (they would show in the process list and shell history).
 */
async function clientFor(rt: Runtime, opts: SimOptions): Promise<{ client: ControlCenterClient; carrier: ControlCenterExtension; owned: boolean }> {
  const parsed = controlCenterExtensionSchema.safeParse(opts.carrier)
  if (!parsed.success) throw new CliError('fieldline: --carrier must be jasper or atnt', EXIT.usage)
  const carrier = parsed.data
  if (opts.profile) {
    const doc = await rt.core.profiles.resolve(carrier, opts.profile)
    return { client: await rt.core.clients.forProfile(doc), carrier, owned: false }
  }
  const env = process.env
  const missing = ['FIELDLINE_CC_URL', 'FIELDLINE_CC_USERNAME', 'FIELDLINE_CC_API_KEY'].filter((v) => !env[v])
  if (missing.length > 0) throw new CliError(`fieldline: give --profile NAME, or set ${missing.join(', ')}`, EXIT.usage)
  if (Boolean(env.FIELDLINE_CC_PASSWORD) !== Boolean(env.FIELDLINE_CC_LICENSE_KEY)) {
    throw new CliError('fieldline: FIELDLINE_CC_PASSWORD and FIELDLINE_CC_LICENSE_KEY go together (the SOAP API needs both)', EXIT.usage)
  }
  // Its HTTP and XML clients are loaded by the command that calls the carrier, not when the command tree is built.
  const { createControlCenterClient } = await import('../../core/carriers/control-center/control-center.client')
  const client = createControlCenterClient({
    carrier,
    baseUrl: env.FIELDLINE_CC_URL!,
    username: env.FIELDLINE_CC_USERNAME!,
    apiKey: env.FIELDLINE_CC_API_KEY!,
    ...(env.FIELDLINE_CC_PASSWORD && env.FIELDLINE_CC_LICENSE_KEY ? { password: env.FIELDLINE_CC_PASSWORD, licenseKey: env.FIELDLINE_CC_LICENSE_KEY } : {}),
    http: { logger: rt.core.logger },
  })
  return { client, carrier, owned: true }
}

/** Carrier errors exit 1 with the carrier's own code on stderr; input errors exit 2. */
export function cliError(rt: Runtime, e: unknown): never {
  if (!isAppError(e)) throw e
  // A refused value is named by its argument or option, without the code: the words say what to change.
  if (e.code === 'VALIDATION') throw new CliError(rt.refusal(e.toInfo()), EXIT.usage)
  const code = e.details?.carrierCode ? ` (${e.code}, carrier error ${e.details.carrierCode})` : ` (${e.code})`
  throw new CliError(`fieldline: ${e.message}${code}`, EXIT.failed)
}

/** One `path: value` line per field, nested objects flattened (`orange.position.latitude: 48.85`). */
export function printRecord(rt: Runtime, value: object, prefix = ''): void {
  if (rt.json && prefix === '') return rt.out(JSON.stringify(value))
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object') printRecord(rt, v as object, `${prefix}${k}.`)
    else rt.out(`${prefix}${k}: ${v ?? '—'}`)
  }
}

export function registerSim(program: Command, withRuntime: WithRuntime): void {
  const sim = program
    .command('sim')
    .description(
      'Jasper / AT&T Control Center SIMs (credentials: --profile NAME, or FIELDLINE_CC_URL, FIELDLINE_CC_USERNAME, FIELDLINE_CC_API_KEY [, FIELDLINE_CC_PASSWORD, FIELDLINE_CC_LICENSE_KEY])',
    )
    .option('--profile <id>', 'a saved Jasper or AT&T profile (see the Extensions page)')
    .option('--carrier <carrier>', 'jasper or atnt', 'jasper')

  /** Runs one sim sub-command with a client, audits changes, and closes what it opened. */
  const run = <A extends unknown[]>(fn: (rt: Runtime, client: ControlCenterClient, carrier: ControlCenterExtension, ...args: A) => Promise<number | void>) =>
    withRuntime(async (rt: Runtime, ...args: A) => {
      const { client, carrier, owned } = await clientFor(rt, sim.opts<SimOptions>())
      try {
        return await fn(rt, client, carrier, ...args)
      } catch (e) {
        cliError(rt, e)
      } finally {
        if (owned) await client.close()
      }
    })

  const audit = (rt: Runtime, carrier: string, iccid: string, action: string, after: object) =>
    appendAudit(rt.core.workspace.db, { actor: cliActor(), action, target: `${carrier}:${iccid}`, outcome: 'ok', after })

  /**
   * Sends a change under the SIM change deadline, as the window does: on a stalled link a change sent whose answer
   * never came is audited unknown and exits 1 saying it may have been applied, rather than failing after the HTTP
   * timeouts (about 94 s) while the carrier had applied it.
   */
  const change = async (rt: Runtime, client: ControlCenterClient, carrier: string, iccid: string, action: string, changes: DeviceChanges, after: object) => {
    // Loaded with the client (the HTTP layer): not when the command tree is built.
    const { SIM_READ_DEADLINE_MS, editDeviceWithin } = await import('../../core/carriers/read-deadline')
    try {
      await editDeviceWithin(client, iccid, changes, SIM_READ_DEADLINE_MS)
    } catch (e) {
      if (isAppError(e) && e.code === 'UNKNOWN_OUTCOME') {
        await appendAudit(rt.core.workspace.db, { actor: cliActor(), action, target: `${carrier}:${iccid}`, outcome: 'unknown', after, error: e.toInfo() })
      }
      throw e
    }
    await audit(rt, carrier, iccid, action, after)
  }

  sim
    .command('show <iccid>')
    .description('SIM details and month-to-date usage')
    .action(run(async (rt, client, _carrier, iccid: string) => printRecord(rt, await client.getDevice(iccid))))

  sim
    .command('usage <iccid>')
    .description('usage of the cycle that starts on --cycle (YYYY-MM-DD), or cycle-to-date')
    .option('--cycle <date>', 'cycle start date, YYYY-MM-DD')
    .action(
      run(async (rt, client, _carrier, iccid: string, opts: { cycle?: string }) => {
        if (opts.cycle === undefined) return printRecord(rt, await client.ctdUsage(iccid))
        if (!cycleDateSchema.safeParse(opts.cycle).success) throw new CliError(`fieldline: --cycle must be a date written YYYY-MM-DD (got "${opts.cycle}")`, EXIT.usage)
        printRecord(rt, await client.usageForCycle(iccid, opts.cycle))
      }),
    )

  sim
    .command('status <iccid> <state>')
    .description(`change the SIM state: ${Object.keys(STATE_ARGS).join(', ')}`)
    .action(
      run(async (rt, client, carrier, iccid: string, state: string) => {
        const status = statusWord(state, Object.values(STATE_ARGS))
        if (!status) throw new CliError(`fieldline: STATE must be one of ${Object.keys(STATE_ARGS).join(', ')} (got "${state}")`, EXIT.usage)
        const before = normaliseControlCenterStatus((await client.getDevice(iccid, { usage: false })).statusRaw)
        refuseEndOfLife(iccid, before)
        await change(rt, client, carrier, iccid, 'sim.changeStatus', { status }, { before: { status: before }, status })
        rt.out(rt.json ? JSON.stringify({ iccid, before, status }) : `${iccid}: ${before} → ${status}`)
      }),
    )

  sim
    .command('plan <iccid> <plan>')
    .description('change the SIM rate plan (exact plan name)')
    .action(
      run(async (rt, client, carrier, iccid: string, plan: string) => {
        refuseEndOfLife(iccid, normaliseControlCenterStatus((await client.getDevice(iccid, { usage: false })).statusRaw))
        await change(rt, client, carrier, iccid, 'sim.changeRatePlan', { ratePlan: plan }, { ratePlan: plan })
        rt.out(rt.json ? JSON.stringify({ iccid, ratePlan: plan }) : `${iccid}: rate plan ${plan}`)
      }),
    )

  sim
    .command('plans')
    .description("the account's rate plans")
    .action(
      run(async (rt, client) => {
        const plans = await client.ratePlans()
        if (rt.json) return rt.out(JSON.stringify(plans))
        // On stderr, as every list says it has none: stdout stays empty for a script.
        if (plans.length === 0) rt.err('fieldline: the account has no rate plan')
        for (const p of plans) rt.out(p.name)
      }),
    )

  sim
    .command('sms <iccid> <text>')
    .description('send an SMS to the SIM (sent once; never repeated after an ambiguous failure)')
    .action(
      run(async (rt, client, carrier, iccid: string, text: string) => {
        const { smsMsgId } = await client.sendSms(iccid, text)
        await audit(rt, carrier, iccid, 'sim.sendSms', { smsMsgId, length: text.length })
        rt.out(rt.json ? JSON.stringify({ iccid, smsMsgId }) : `sent SMS ${smsMsgId} to ${iccid}`)
      }),
    )

  sim
    .command('search')
    .description('SIMs modified since a date and time (all pages)')
    .requiredOption('--since <datetime>', 'ISO 8601 date and time with an offset, e.g. 2024-01-01T00:00:00Z')
    .action(
      run(async (rt, client, _carrier, opts: { since: string }) => {
        instantOption('--since', opts.since)
        let count = 0
        for await (const page of client.searchDevices({ modifiedSince: opts.since })) {
          for (const d of page.devices) {
            count++
            rt.out(rt.json ? JSON.stringify(d) : `${d.iccid}\t${d.statusRaw ?? d.status}\t${d.ratePlan ?? ''}\t${d.communicationPlan ?? ''}`)
          }
        }
        rt.err(`${countText(count)} SIMs`)
      }),
    )
}
