import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { channels, type Output } from '../../../src-shared/contract'
import { countOf } from '../../../src-shared/models/count-text'
import { isAppError, type AppError } from '../../core/common/errors'
import { parseOrThrow } from '../../core/common/validation'
import { buildFields, invokeAction } from '../../core/dm-packages/invoke'
import { appendAudit } from '../../core/store/audit.store'
import { getDeviceDoc } from '../../core/store/devices.store'
import { environmentLink, mqttEnvironment, platformFromEnvironment, platformRestSource } from '../platform-environment'
import { cannotRead } from '../file-problems'
import { decodePackageBytes } from '../../../src-shared/models/package-bytes'
import { CliError, EXIT, cliActor, exitCodeFor, formatDiagnostic, type Runtime } from '../runtime'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

/** What a device's rc means (docs/wire/platform-mqtt.md §3). */
const RC_MEANING: Record<number, string> = {
  200: 'success',
  202: 'accepted',
  204: 'changed',
  400: 'bad request',
  404: 'not found',
  409: 'conflict',
  500: 'device error',
  501: 'not implemented',
}

async function readPackage(file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (e) {
    throw new CliError(`fieldline: ${cannotRead(file, (e as NodeJS.ErrnoException).code ?? 'EIO')}`, EXIT.usage)
  }
  const decoded = decodePackageBytes(bytes)
  if (!decoded.ok) throw new CliError(`fieldline: ${file}: ${decoded.message}`, exitCodeFor('VALIDATION'))
  return decoded.text
}

/** `name=value` pairs; a value may itself contain '='. */
function parsePairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new CliError(`fieldline: parameters are name=value (got "${pair}")`, EXIT.usage)
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/** The package library and action invocation, through the same services the UI uses. */
export function registerDmLibrary(dm: Command, withRuntime: WithRuntime): void {
  dm.command('add <file>')
    .description('validate a package and keep it in the library (--replace to overwrite the same bundle id)')
    .option('--replace', 'replace a package with the same bundle id (the old one goes to the audit trail)')
    .action(
      withRuntime(async (rt, file: string, opts: { replace?: boolean }) => {
        const added = await rt.core.dispatcher.invoke('packages:add', { text: await readPackage(file), replace: opts.replace === true }, { actor: cliActor() })
        if (!added.ok) {
          const { error } = added
          const params = error.details?.ref?.params ?? {}
          // The core's words name the app's Replace button; here it is an option.
          const lines = [
            error.details?.ref?.key === 'dm.exists'
              ? `fieldline: the library already has ${String(params.bundleId)} (version ${String(params.version)}); add --replace to overwrite it`
              : rt.refusal(error),
          ]
          for (const d of error.details?.diagnostics ?? []) lines.push(`  ${formatDiagnostic(file, d)}`)
          throw new CliError(lines.join('\n'), exitCodeFor(error.code))
        }
        const s = added.value as Output<'packages:add'>
        rt.out(rt.json ? JSON.stringify(s) : `added ${s.bundleId}${s.version ? ` ${s.version}` : ''} (${countOf(s.actionCount, 'action')})`)
      }),
    )

  dm.command('list')
    .description('the packages in the library')
    .action(
      withRuntime(async (rt) => {
        const { items } = await rt.call('packages:list', {})
        if (rt.json) return rt.out(JSON.stringify(items))
        // Said on stderr, so that a script reading the rows still reads none.
        if (items.length === 0) rt.err('fieldline: the package library is empty (dm add FILE adds one)')
        for (const p of items) rt.out(`${p.bundleId}\t${p.version ?? '—'}\t${p.provider ?? '—'}\t${countOf(p.actionCount, 'action')}`)
      }),
    )

  dm.command('show <bundleId>')
    .description("a package's actions and parameters")
    .action(
      withRuntime(async (rt, bundleId: string) => {
        const p = await rt.call('packages:get', { bundleId })
        if (rt.json) {
          const { text: _text, ...rest } = p
          return rt.out(JSON.stringify(rest))
        }
        rt.out(`${p.bundleId} ${p.version ?? ''} — ${p.provider ?? ''}`)
        for (const a of p.actions) {
          rt.out(`  ${a.id}`)
          for (const param of a.parameters)
            rt.out(`    ${param.name}${param.required ? ' (required)' : ''}${param.value ? ` ~ ${param.value}` : ''}${param.defaultValue ? ` = ${param.defaultValue}` : ''}`)
        }
      }),
    )

  dm.command('export <bundleId>')
    .description('print the package as it was added')
    .action(withRuntime(async (rt, bundleId: string) => rt.out((await rt.call('packages:get', { bundleId })).text)))

  dm.command('remove <bundleId>')
    .description('remove a package from the library into the trash (recorded in the audit trail)')
    .action(
      withRuntime(async (rt, bundleId: string) => {
        const { trashId } = await rt.call('packages:remove', { bundleId })
        rt.out(rt.json ? JSON.stringify({ removed: true, bundleId, trashId }) : `removed ${bundleId} (trash ${trashId})`)
      }),
    )

  const REST_VARIABLES = 'FIELDLINE_MQTT_CLIENT_ID or FIELDLINE_PLATFORM_REST_URL, FIELDLINE_MQTT_USERNAME, FIELDLINE_MQTT_PASSWORD, FIELDLINE_MQTT_CA_FILE'
  const restProfileOption = `a saved platform profile; without it, the default one, or ${REST_VARIABLES} when FIELDLINE_MQTT_URL or FIELDLINE_PLATFORM_REST_URL is set`

  dm.command('upload <bundleId>')
    .description("upload a kept package to the platform's REST API (--replace when the platform holds another package with that bundle id)")
    .option('--profile <id>', restProfileOption)
    .option('--replace', 'replace the package the platform holds under the same bundle id (recorded in the audit trail)')
    .action(
      withRuntime(async (rt, bundleId: string, opts: { profile?: string; replace?: boolean }) => {
        const r = await onPlatform(
          rt,
          () => rt.core.publishing.upload(parseOrThrow(channels['packages:upload'].input, { bundleId, replace: opts.replace === true }), { actor: cliActor() }, platformRestSource(opts.profile)),
          // The core's words name the app's confirmation; here it is an option.
          (e) => (e.details?.ref?.key === 'dmPlatform.differs' ? `the platform holds another package ${bundleId}; add --replace to overwrite it` : undefined),
        )
        rt.out(rt.json ? JSON.stringify({ bundleId, ...r }) : `${bundleId} ${r.outcome === 'unchanged' ? 'already on' : `${r.outcome} on`} ${r.profile.name}`)
      }),
    )

  dm.command('platform')
    .description("the packages the platform's REST API holds, each marked same, differs or not-kept against the library")
    .option('--profile <id>', restProfileOption)
    .action(
      withRuntime(async (rt, opts: { profile?: string }) => {
        const list = await onPlatform(rt, () => rt.core.publishing.platformList(platformRestSource(opts.profile)))
        if (rt.json) return rt.out(JSON.stringify(list))
        if (list.items.length === 0) rt.err('fieldline: the platform holds no package (dm upload BUNDLE-ID publishes one)')
        for (const p of list.items) rt.out(`${p.bundleId}\t${p.version ?? '—'}\t${p.state === 'notKept' ? 'not-kept' : p.state}`)
      }),
    )

  dm.command('unpublish <bundleId>')
    .description('remove a package from the platform (the library keeps it); needs --yes')
    .option('--profile <id>', restProfileOption)
    .option('--yes', 'confirm the removal: the platform stops offering its actions')
    .action(
      withRuntime(async (rt, bundleId: string, opts: { profile?: string; yes?: boolean }) => {
        if (opts.yes !== true) throw new CliError(`fieldline: removing ${bundleId} from the platform needs --yes`, EXIT.usage)
        const r = await onPlatform(rt, () => rt.core.publishing.unpublish(parseOrThrow(channels['packages:unpublish'].input, { bundleId }), { actor: cliActor() }, platformRestSource(opts.profile)))
        rt.out(rt.json ? JSON.stringify({ bundleId, ...r }) : `removed ${bundleId} from ${r.profile.name}`)
      }),
    )

  dm.command('invoke <action> [params...]')
    .description(
      'run BUNDLE_ID/ACTION_ID on a device (platform link: --profile, or FIELDLINE_MQTT_URL, FIELDLINE_MQTT_CLIENT_ID, FIELDLINE_MQTT_USERNAME, FIELDLINE_MQTT_PASSWORD, FIELDLINE_MQTT_CA_FILE)',
    )
    .requiredOption('--type <typeId>', 'device type')
    .requiredOption('--id <deviceId>', 'device ID')
    .option('--timeout <seconds>', 'how long to wait for the device', '30')
    .option('--profile <id>', 'a saved platform (MQTT) profile')
    .action(
      withRuntime(async (rt, action: string, params: string[], opts: { type: string; id: string; timeout: string; profile?: string }) => {
        const [bundleId, actionId, extra] = action.split('/')
        if (!bundleId || !actionId || extra !== undefined) throw new CliError(`fieldline: the action is BUNDLE_ID/ACTION_ID (got "${action}")`, EXIT.usage)
        const timeoutSeconds = Number(opts.timeout)
        if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) throw new CliError('fieldline: --timeout must be 1–600 seconds', EXIT.usage)
        const parameters = parsePairs(params)
        const input = { typeId: opts.type, deviceId: opts.id, bundleId, actionId, parameters, timeoutSeconds }
        const result = platformFromEnvironment(opts.profile) ? await viaEnvironment(rt, input) : await viaProfile(rt, { ...input, ...(opts.profile ? { platformProfile: opts.profile } : {}) })
        const meaning =
          result.rc === null ? `no response within ${timeoutSeconds} s (the device may not exist, or may not support ${bundleId})` : `rc ${result.rc} (${RC_MEANING[result.rc] ?? 'unknown code'})`
        rt.out(rt.json ? JSON.stringify(result) : `${bundleId}/${actionId} on ${opts.type}/${opts.id}: ${meaning}`)
        return result.rc !== null && result.rc >= 200 && result.rc < 300 ? EXIT.ok : EXIT.failed
      }),
    )
}

/**
 * A call to the platform's REST API, from a profile or from variables alike: the service directly (the channels name
 * saved profiles only), its input read by the channel's own schema. Errors exit as the dispatcher's would; `say` may
 * word one for the command line.
 */
async function onPlatform<T>(rt: Runtime, call: () => Promise<T>, say: (e: AppError) => string | undefined = () => undefined): Promise<T> {
  try {
    return await call()
  } catch (e) {
    if (!isAppError(e)) throw e
    const said = say(e)
    throw new CliError(said === undefined ? rt.refusal(e.toInfo()) : `fieldline: ${said}`, exitCodeFor(e.code))
  }
}

interface InvokeInput {
  typeId: string
  deviceId: string
  bundleId: string
  actionId: string
  parameters: Record<string, string>
  timeoutSeconds: number
  platformProfile?: string
}

/**
 * The command sends to any device (scripts reach devices the workspace does not hold), but says first, on stderr, when
 * the workspace does not hold the device or does not mark it as supporting the package: otherwise the operator only
 * sees "no response" and cannot tell a wrong ID from a slow device.
 */
async function warnIfUnsupported(rt: Runtime, input: InvokeInput): Promise<void> {
  const device = await getDeviceDoc(rt.core.workspace.db, { typeId: input.typeId, deviceId: input.deviceId })
  const label = `${input.typeId}/${input.deviceId}`
  if (!device) rt.err(`fieldline: warning: device ${label} is not in the workspace; sending ${input.bundleId}/${input.actionId} anyway`)
  else if (!(device.supportedBundles ?? []).includes(input.bundleId))
    rt.err(`fieldline: warning: device ${label} is not marked as supporting ${input.bundleId}; sending ${input.bundleId}/${input.actionId} anyway`)
}

/** A saved platform profile: the same service as the UI (values checked, audited), without the "supported" mark. */
async function viaProfile(rt: Runtime, input: InvokeInput) {
  try {
    return await rt.core.packages.invoke(input, { actor: cliActor() }, { requireSupport: false, beforeSend: () => warnIfUnsupported(rt, input) })
  } catch (e) {
    if (!isAppError(e)) throw e
    throw new CliError(rt.refusal(e.toInfo()), e.code === 'VALIDATION' || e.code === 'NOT_FOUND' ? EXIT.usage : EXIT.failed)
  }
}

/** For scripts: the link from FIELDLINE_MQTT_* variables, opened for this one action. */
async function viaEnvironment(rt: Runtime, input: InvokeInput) {
  const env = process.env
  const mqtt = mqttEnvironment(env)
  const pkg = await rt.call('packages:get', { bundleId: input.bundleId })
  const action = pkg.actions.find((a) => a.id === input.actionId)
  if (!action) throw new CliError(`fieldline: package ${input.bundleId} has no action ${input.actionId}`, EXIT.usage)
  const { fields, problems } = buildFields({ actionDisplayName: action.actionDisplayName, parameters: action.parameters }, input.parameters)
  if (problems.length > 0) throw new CliError(`fieldline: not sent: ${problems.map((p) => `${p.name} (${p.problem})`).join(', ')}`, EXIT.usage)
  await warnIfUnsupported(rt, input)
  const link = await environmentLink(rt, mqtt)
  try {
    await link.connect()
    const result = await invokeAction({ link, ...input, fields, timeoutMs: input.timeoutSeconds * 1000 })
    const ok = result.rc !== null && result.rc >= 200 && result.rc < 300
    await appendAudit(rt.core.workspace.db, {
      actor: `cli:${env.USER ?? 'operator'}`,
      action: 'package.invoke',
      target: `${input.typeId}/${input.deviceId} ${input.bundleId}/${input.actionId}`,
      outcome: ok ? 'ok' : 'failed',
      after: { fields, reqId: result.reqId, rc: result.rc },
    })
    return result
  } catch (e) {
    if (!isAppError(e)) throw e
    // An invalid type or device ID is bad usage, as with a saved profile.
    throw new CliError(rt.refusal(e.toInfo()), e.code === 'VALIDATION' ? EXIT.usage : EXIT.failed)
  } finally {
    await link.close()
  }
}
