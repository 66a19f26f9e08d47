/**
 * `fieldline bridge mbed`: the mbed bridge without the UI, until SIGTERM or SIGINT.
 *
 * - Configuration from a saved mbed profile and its platform profile (`--profile`), or for scripts from
 *   FIELDLINE_MBED_URL, FIELDLINE_MBED_ACCESS_KEY, FIELDLINE_MBED_CHANNEL, FIELDLINE_MBED_DEVICE_TYPE,
 *   FIELDLINE_MBED_FLAVOUR, FIELDLINE_MBED_QUEUE_SIZE, FIELDLINE_MBED_PRESUBSCRIPTIONS, FIELDLINE_MBED_CA_FILE, FIELDLINE_MQTT_URL,
 *   FIELDLINE_MQTT_CLIENT_ID, FIELDLINE_MQTT_USERNAME, FIELDLINE_MQTT_PASSWORD, FIELDLINE_MQTT_CA_FILE.
 *   A bad configuration exits 2 with the reason, before anything connects.
 * - One line per bridge state change on stderr (the reason's text never carries a key or a password), a warning line
 *   for unencrypted MQTT to another host (allowed: plant networks), a line when the start finds messages the last run
 *   left in the queue and another once none of them waits, and a summary line at the end.
 * - SIGTERM/SIGINT stop it gracefully (no more commands, the channel closed, the queue drained) and it exits 0. A
 *   bridge that fails for good (a refused key, a replaced channel, a broker refusing the credentials) is stopped the
 *   same way and exits 1, its state line saying what to fix; one that fails on a cause it cures by itself (an
 *   unexpected error in its channel's loop) says when it starts again, and runs on.
 * - The workspace is opened only to read the profiles, then closed: a bridge that runs for weeks must not hold the
 *   workspace lock the desktop app needs.
 * - The messages owed to the broker wait on disk in the data directory (`--data-dir`), under `mbed/queues/`: the
 *   profile's queue with `--profile` (the app's, which the lock keeps from running at once), else one named after the
 *   mbed URL, broker URL and client id (core/mbed/queue-dir.ts), which records them in its `origin.json`. Killed, the
 *   bridge publishes them at its next start.
 * - `bridge mbed queues` lists the queues of the data directory (whose, still configured or not, waiting, size,
 *   oldest, early async responses, commands for devices), and `queues remove` deletes one no longer configured (core/mbed/queues.ts): after changing the variables,
 *   the old queue is otherwise left with messages nobody will send.
 */
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import { mbedSettingsSchema, platformSettingsSchema } from '../../../src-shared/models/profiles'
import { AppError, isAppError } from '../../core/common/errors'
import type { Logger } from '../../core/log/logger'
import { signals } from '../stop-signals'
// The mbed core (its HTTP, WebSocket and MQTT clients) is imported by the actions that run it, not when the command
// tree is built: `fieldline --help` and every other command do not load it.
import type { MbedBridgeCounters, MbedBridgeEvent, MbedStopReport } from '../../core/mbed/bridge'
import type { MbedBridgeConfig } from '../../core/mbed/config'
import type { MbedQueueInfo } from '../../core/mbed/queues'
import { countOf, countText } from '../../../src-shared/models/count-text'
import { readCaVariable } from '../file-variables'
import { CliError, EXIT, cliActor, type Runtime } from '../runtime'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

export interface BridgeIo {
  /** One line to the operator (stderr). */
  line(text: string): void
  /** Resolves when the bridge should stop (SIGTERM/SIGINT in the CLI). */
  stopSignal: Promise<void>
  /** The directory of the bridge's queue on disk (core/mbed/queue-dir.ts). */
  queueDir: string
  /** The queues of earlier FIELDLINE_* configurations of the same mbed URL, whose MQTT sessions it ends (core/mbed/session.ts). */
  replacing?: readonly string[]
  logger?: Logger
}

function usage(e: unknown): CliError {
  const message = e instanceof Error ? e.message : String(e)
  return new CliError(`fieldline: invalid bridge configuration: ${message}`, EXIT.usage)
}

/** The configuration from the environment; CA files named there are read too. */
export async function configFromEnvironment(env: Record<string, string | undefined>): Promise<MbedBridgeConfig> {
  const { ENV_SETTING_NAMES, ENV_VARIABLES, bridgeConfigFromEnv, checkBridgeConfig } = await import('../../core/mbed/config')
  let config: MbedBridgeConfig
  try {
    config = bridgeConfigFromEnv(env)
    // Checked here too, so that a refusal names the variable the operator set (the checks after name settings).
    checkBridgeConfig(config, ENV_SETTING_NAMES)
  } catch (e) {
    throw usage(e)
  }
  let mbedCa: string[] | undefined
  let mqttCa: string[] | undefined
  try {
    mbedCa = readCaVariable(env, ENV_VARIABLES.mbedCaFile)
    mqttCa = readCaVariable(env, ENV_VARIABLES.mqttCaFile)
  } catch (e) {
    throw usage(e)
  }
  return { mbed: { ...config.mbed, ...(mbedCa ? { ca: mbedCa } : {}) }, mqtt: { ...config.mqtt, ...(mqttCa ? { ca: mqttCa } : {}) } }
}

/** The configuration from a saved mbed profile and the platform profile it names (or the default one). */
export async function configFromProfile(rt: Runtime, profileId: string): Promise<MbedBridgeConfig> {
  const { bridgeConfigFromProfiles } = await import('../../core/mbed/config')
  try {
    const mbedDoc = await rt.core.profiles.resolve('mbed', profileId)
    const mbed = mbedSettingsSchema.parse(mbedDoc.settings)
    const accessKey = await rt.core.profiles.secret(mbedDoc, 'accessKey')
    const platformDoc = await rt.core.profiles.resolve('platform', mbed.platformProfile || undefined)
    const platform = platformSettingsSchema.parse(platformDoc.settings)
    const password = await rt.core.profiles.secret(platformDoc, 'password')
    return bridgeConfigFromProfiles({ settings: mbed, accessKey }, { settings: platform, password })
  } catch (e) {
    // A missing profile or secret is a usage problem; a keychain that cannot be read is not.
    if (e instanceof AppError && e.code === 'VAULT_UNAVAILABLE') throw new CliError(`fieldline: ${e.message}`, EXIT.failed)
    throw usage(e)
  }
}

type StatePayload = Extract<MbedBridgeEvent, { name: 'mbed:state' }>['payload']

/**
 * One log line of a state event; a degraded bridge's line says when the channel tries mbed again, or the link the
 * broker (each back-off step is an event), a failed one's when it starts again by itself or, for a cause that cannot heal, what the operator must do.
 */
export function stateLine(e: StatePayload, now = new Date()): string {
  const why = e.reason ? `: ${e.reason.message}${e.reason.code ? ` [${e.reason.code}]` : ''}` : ''
  let next = ''
  const retryAt = e.channel.retryAt ?? e.link.retryAt
  if (e.state === 'degraded' && retryAt) next = ` (next try at ${retryAt})`
  else if (e.state === 'failed') next = e.restartAt ? ` (starts again by itself at ${e.restartAt})` : `; it does not retry: ${failedAction(e)}`
  return `${now.toISOString()} mbed bridge ${e.state}${why}${next}`
}

/** What the operator does about a failure the bridge cannot cure by itself; the same words for a profile or variables. */
function failedAction(e: StatePayload): string {
  const code = e.reason?.code
  if (e.failedSide === 'mbed' && code === 'AUTH_FAILED') return 'set a valid mbed access key (FIELDLINE_MBED_ACCESS_KEY, or the mbed profile’s), then start the bridge again'
  if (e.failedSide === 'link' && code === 'AUTH_FAILED')
    return 'set valid broker credentials (FIELDLINE_MQTT_USERNAME and FIELDLINE_MQTT_PASSWORD, or the platform profile’s), then start the bridge again'
  if (code === 'TLS') return 'add the CA that signed the server’s certificate (FIELDLINE_MBED_CA_FILE or FIELDLINE_MQTT_CA_FILE, or the platform profile’s for the broker), then start the bridge again'
  return 'fix the cause above, then start the bridge again'
}

const messages = (n: number): string => `${countText(n)} ${n === 1 ? 'message' : 'messages'}`
const earlyAnswers = (n: number): string => `${countText(n)} early async ${n === 1 ? 'response' : 'responses'}`
const deviceCommands = (n: number): string => `${countText(n)} ${n === 1 ? 'command' : 'commands'} for devices`
/**
 * What removing a queue deletes: its messages, and, when it holds any, the early async responses and the commands
 * (taken from the broker, not yet sent: the broker no longer has them) of its journals.
 */
const held = (q: MbedQueueInfo): string => {
  const parts = [messages(q.waiting), ...(q.early > 0 ? [earlyAnswers(q.early)] : []), ...(q.commands > 0 ? [deviceCommands(q.commands)] : [])]
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts.join('')
}

/**
 * The lines about the messages the last run left in the queue (killed, or stopped while the broker was away): when
 * the bridge starts with them, and once all of them have left the queue.
 */
export function keptLine(kept: number, queueDir: string, now = new Date()): string {
  return `${now.toISOString()} mbed bridge: ${messages(kept)} kept from the last run in ${queueDir} ${kept === 1 ? 'is' : 'are'} delivered first`
}
export function keptDoneLine(kept: number, now = new Date()): string {
  return `${now.toISOString()} mbed bridge: the ${kept === 1 ? 'message' : messages(kept)} kept from the last run ${kept === 1 ? 'is' : 'are'} no longer waiting`
}

/** The line a run ends with: what it bridged each way, and what it could not deliver. */
export function summaryLine(counters: Pick<MbedBridgeCounters, 'notifications' | 'commands' | 'commandErrors'>, report: MbedStopReport, now = new Date()): string {
  return `${now.toISOString()} mbed bridge summary: ${countOf(counters.notifications, 'notification')}, ${messages(report.published)} published, ${countOf(counters.commands, 'command')}, ${countOf(counters.commandErrors, 'command error')}, ${countText(report.dropped)} dropped, ${countText(report.undelivered)} undelivered`
}

/**
 * Runs the bridge until `io.stopSignal` resolves or the bridge fails for good; returns the exit code (0 after a
 * requested stop, 1 after a failure). Throws CliError(2) for a configuration that cannot work.
 */
export async function runMbedBridge(config: MbedBridgeConfig, io: BridgeIo): Promise<number> {
  const [{ checkBridgeConfig }, { createMbedClient }, { createBridgeLink, replaceSession }, { createMbedBridge }] = await Promise.all([
    import('../../core/mbed/config'),
    import('../../core/mbed/connector.client'),
    import('../../core/mbed/session'),
    import('../../core/mbed/bridge'),
  ])
  let security
  try {
    security = checkBridgeConfig(config).mqttSecurity
  } catch (e) {
    throw usage(e)
  }
  if (security === 'plain-remote') {
    const broker = new URL(config.mqtt.url)
    io.line(
      `${new Date().toISOString()} mbed bridge warning: ${broker.protocol}//${broker.host} is not encrypted (mqtt:// or ws:// to another computer); the broker password and all messages travel in clear text`,
    )
  }
  let client
  let link
  let bridge
  try {
    client = createMbedClient({
      baseUrl: config.mbed.apiUrl,
      accessKey: config.mbed.accessKey,
      flavour: config.mbed.flavour,
      ...(config.mbed.ca ? { ca: config.mbed.ca } : {}),
      ...(io.logger ? { logger: io.logger } : {}),
    })
    link = createBridgeLink(config.mqtt, io.queueDir, io.logger ? { logger: io.logger } : {})
    void replaceSession(config.mqtt, io.queueDir, io.logger, { dirs: io.replacing ?? [] })
    bridge = createMbedBridge({
      client,
      link,
      queueDir: io.queueDir,
      channel: config.mbed.channel,
      defaultDeviceType: config.mbed.defaultDeviceType,
      queueSize: config.mbed.queueSize,
      presubscriptions: config.mbed.presubscriptions,
      ...(io.logger ? { logger: io.logger } : {}),
    })
  } catch (e) {
    throw usage(e)
  }

  let failed: () => void = () => {}
  const failure = new Promise<void>((resolve) => (failed = resolve))
  /** Messages the last run left, once told: a line when the bridge starts with them, another once they are all out. */
  let kept = 0
  bridge.on((e) => {
    if (e.name === 'mbed:counters') {
      if (kept > 0 && e.payload.keptQueued === 0) {
        io.line(keptDoneLine(kept))
        kept = 0
      }
      return
    }
    if (e.name !== 'mbed:state') return
    io.line(stateLine(e.payload))
    if (e.payload.state === 'starting' && e.payload.kept > 0) {
      kept = e.payload.kept
      io.line(keptLine(kept, io.queueDir))
    }
    // A failure the bridge cures by itself (it says when) is waited out; one it cannot ends the run.
    if (e.payload.state === 'failed' && e.payload.restartAt === null) failed()
  })

  let code: number = EXIT.ok
  try {
    await bridge.start()
  } catch {
    // The state line already said why (a refused key, a host that is not mbed).
    code = EXIT.failed
  }
  if (code === EXIT.ok) {
    await Promise.race([io.stopSignal, failure])
    if (bridge.state === 'failed' && bridge.status().restartAt === null) code = EXIT.failed
  }
  const report = await bridge.stop()
  io.line(summaryLine(bridge.counters(), report))
  // Bounded: neither a broker nor an mbed host that stopped answering may keep the process from exiting.
  await Promise.race([Promise.all([link.close(), client.close()]), new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
  return code
}

/** Whom a queue belongs to, in a line of `bridge mbed queues`. */
function ownerText(q: MbedQueueInfo): string {
  const o = q.owner
  if (o.kind === 'profile') return o.name !== null ? `mbed profile "${o.name}" (${o.id})` : `mbed profile ${o.id}, deleted`
  if (o.mbedUrl === null) return 'FIELDLINE_* variables (not recorded: an older queue)'
  return `FIELDLINE_* variables: mbed ${o.mbedUrl}, broker ${o.mqttUrl ?? '?'}, client id ${o.clientId ?? '?'}`
}

/**
 * One queue of `bridge mbed queues`, tab-separated: name, owner, whether configured and held, waiting, size, oldest,
 * and (last, so a script reading the earlier columns by position reads them as before) the early async responses,
 * then the commands for devices its journal holds, with when the oldest came.
 */
export function queueLine(q: MbedQueueInfo): string {
  const configured = q.owner.kind === 'profile' ? (q.configured ? 'configured' : 'no longer configured') : `${q.configured ? '' : 'not '}configured by the current FIELDLINE_* variables`
  const held = q.heldBy !== null ? `, in use by process ${q.heldBy}` : ''
  return [
    q.name,
    ownerText(q),
    `${configured}${held}`,
    `${messages(q.waiting)} waiting`,
    `${countText(q.bytes)} bytes`,
    q.oldestAt ? `oldest ${q.oldestAt}` : 'oldest unknown',
    earlyAnswers(q.early),
    q.commandsOldestAt ? `${deviceCommands(q.commands)}, oldest ${q.commandsOldestAt}` : deviceCommands(q.commands),
  ].join('\t')
}

/** Asks on the terminal; without one, removing needs --yes (a script must say so, not hang on a prompt). */
async function confirmRemoval(q: MbedQueueInfo): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError(`fieldline: removing ${q.name} deletes its ${held(q)} for good: pass --yes to confirm (no terminal to ask on)`, EXIT.usage)
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`Delete the queue ${q.name} (${ownerText(q)}) and its ${held(q)} for good? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

export function registerBridge(program: Command, withRuntime: WithRuntime, globals: () => { dataDir: string; json: boolean }): void {
  const bridge = program.command('bridge').description('bridge an external service to the platform without the UI')
  const mbed = bridge
    .command('mbed')
    .description('bridge ARM mbed Connector notifications and commands to the platform MQTT broker until SIGTERM/SIGINT')
    .option('--profile <id>', 'a saved mbed profile (and the platform profile it names); without it, FIELDLINE_MBED_* and FIELDLINE_MQTT_* variables')
    .option('--check', 'check the configuration and the mbed access key, then exit')
    .action(async (opts: { profile?: string; check?: boolean }, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true
      let config: MbedBridgeConfig | undefined
      if (opts.profile !== undefined) {
        const profileId = opts.profile
        await withRuntime(async (rt) => {
          config = await configFromProfile(rt, profileId)
        })()
      } else {
        config = await configFromEnvironment(process.env)
      }
      if (!config) throw new CliError('fieldline: no bridge configuration', EXIT.usage)
      const err = (text: string): void => {
        process.stderr.write(`${text}\n`)
      }
      if (opts.check) {
        process.exitCode = await checkOnly(config, err, json ? (value) => process.stdout.write(`${JSON.stringify(value)}\n`) : undefined)
        return
      }
      const { dataDir } = globals()
      const [{ configQueueDir, profileQueueDir }, { recordEnvironmentOrigin, replacedEnvironmentQueues }, { queueError }] = await Promise.all([
        import('../../core/mbed/queue-dir'),
        import('../../core/mbed/queues'),
        import('../../core/mbed/publish-queue'),
      ])
      const queueDir = opts.profile !== undefined ? profileQueueDir(dataDir, opts.profile) : configQueueDir(dataDir, config)
      // Named after a hash: the queue says whose it is, for `bridge mbed queues` once the variables have changed.
      let replacing: string[] = []
      if (opts.profile === undefined) {
        replacing = replacedEnvironmentQueues(dataDir, config, queueDir)
        try {
          recordEnvironmentOrigin(queueDir, config)
        } catch (e) {
          throw new CliError(`fieldline: ${queueError(e, queueDir).message}`, EXIT.failed)
        }
      }
      const code = await runMbedBridge(config, { line: err, stopSignal: signals(), queueDir, replacing })
      process.exitCode = code
      // Anything still holding the event loop (a long poll the server keeps open) must not keep the process alive.
      setTimeout(() => process.exit(code), 3_000).unref()
    })

  const queues = mbed
    .command('queues')
    .description("the mbed bridges' message queues in the data directory: whose, messages waiting, size, oldest message, early async responses, commands for devices")
    .action(
      withRuntime(async (rt) => {
        const { environmentQueueName } = await import('../../core/mbed/queue-dir')
        const list = await rt.core.mbed.queues(environmentQueueName(process.env))
        if (rt.json) return rt.out(JSON.stringify(list))
        if (list.length === 0) rt.err('fieldline: no mbed queue in this data directory')
        for (const q of list) rt.out(queueLine(q))
      }),
    )
  queues
    .command('remove <name>')
    .description(
      'delete a queue no longer configured, with the messages, early async responses and commands for devices it holds (recorded in the audit trail; refused for a configured or running one)',
    )
    .option('--yes', 'do not ask')
    .action(
      withRuntime(async (rt, name: string, opts: { yes?: boolean }) => {
        const { environmentQueueName } = await import('../../core/mbed/queue-dir')
        const current = environmentQueueName(process.env)
        const queue = (await rt.core.mbed.queues(current)).find((q) => q.name === name)
        // Only a queue that may go is asked about: the others are refused below with the reason.
        if (queue && !queue.configured && queue.heldBy === null && opts.yes !== true && !(await confirmRemoval(queue))) {
          rt.err('fieldline: nothing deleted')
          return EXIT.failed
        }
        const removed = await rt.core.mbed.removeQueue(name, { actor: cliActor() }, current)
        rt.out(rt.json ? JSON.stringify(removed) : `deleted ${removed.name} and its ${held(removed)}`)
      }),
    )
}

/** `json`: `--json` was given; the outcome also goes to stdout as `{ok, flavour, apiUrl, detail}` or `{ok, error}`. */
async function checkOnly(config: MbedBridgeConfig, line: (text: string) => void, json?: (value: unknown) => void): Promise<number> {
  const [{ checkBridgeConfig }, { createMbedClient }] = await Promise.all([import('../../core/mbed/config'), import('../../core/mbed/connector.client')])
  try {
    checkBridgeConfig(config)
  } catch (e) {
    throw usage(e)
  }
  const client = createMbedClient({ baseUrl: config.mbed.apiUrl, accessKey: config.mbed.accessKey, flavour: config.mbed.flavour, ...(config.mbed.ca ? { ca: config.mbed.ca } : {}) })
  try {
    const result = await client.verify()
    line(`mbed ${result.flavour} API at ${result.apiUrl}: access key accepted`)
    json?.({ ok: true, ...result })
    return EXIT.ok
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    line(`mbed check failed: ${message}`)
    json?.({ ok: false, error: { code: isAppError(e) ? e.code : 'INTERNAL', message } })
    return EXIT.failed
  } finally {
    await client.close()
  }
}
