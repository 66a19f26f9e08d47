/**
 * `fieldline historian …`: historical data storage without the UI.
 *
 * - `run [--profile ID]`: the forwarder until SIGTERM or SIGINT, from a saved historian profile (and the profiles it
 *   names) or, for scripts, from FIELDLINE_HISTORIAN_* and FIELDLINE_MQTT_* variables. One stderr line per state change
 *   (the forwarder, its MQTT link, each destination), a summary line at exit. The stop drains: the destinations get
 *   what is queued for a few seconds, the rest stays in the on-disk queues for the next run. Exit 0 after a requested
 *   stop, 1 when the broker refused the forwarder for good (credentials, certificate) or a queue is held by another
 *   forwarder, 2 for a configuration that cannot work. The workspace is opened only to read the profiles: a forwarder
 *   that runs for months must not hold the lock the desktop app needs.
 * - `status`: every forwarder of this data directory: the running one's last status (it rewrites it every second), or
 *   for one that is not running what its queues hold.
 * - `history TYPE ID --from ISO --to ISO [--format csv|jsonl]`: a device's events read back from a CouchDB destination
 *   (all pages), to stdout: JSON Lines as each page arrives; CSV once all are read, its columns being the fields of
 *   every event (models/history-csv.ts, as the device page's export).
 */
import { countOf, countText } from '../../../src-shared/models/count-text'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import type { DestinationStatus, HistorianStatus, HistoryEvent } from '../../../src-shared/models/historian'
import { historyCsvLines } from '../../../src-shared/models/history-csv'
import { AppError } from '../../core/common/errors'
import { destinationsFromEnvironment, fromEnvironment, orgFromEnvironment, type DestinationConfig, type EnvironmentFiles, type ForwarderConfig } from '../../core/historian/config'
import { inspectEventQueue } from '../../core/historian/event-queue'
import { processAlive } from '../../core/store/disk-queue'
// The forwarder and the history reader (their MQTT, Kafka, CouchDB and HTTP clients) are imported by the actions that
// run them, not when the command tree is built.
import type { ForwarderSummary } from '../../core/historian/forwarder'
import { dbPrefix } from '../../core/historian/buckets'
import { forwarderDir, forwarderIds, readStatusFile } from '../../core/historian/status-file'
import type { Logger } from '../../core/log/logger'
import { readCaVariable, readFileVariable } from '../file-variables'
import { cliActor, CliError, EXIT, type WithRuntime } from '../runtime'
import { instantOption } from '../instant-option'
import { signals } from '../stop-signals'

export interface HistorianIo {
  line(text: string): void
  stopSignal: Promise<void>
  logger?: Logger
}

function usage(e: unknown): CliError {
  return new CliError(`fieldline: invalid historian configuration: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage)
}

function envFiles(env: Record<string, string | undefined>): EnvironmentFiles {
  const mqttCa = readCaVariable(env, 'FIELDLINE_MQTT_CA_FILE')
  const files = {
    couchCa: readCaVariable(env, 'FIELDLINE_HISTORIAN_COUCH_CA_FILE')?.[0],
    kafkaCa: readCaVariable(env, 'FIELDLINE_HISTORIAN_KAFKA_CA_FILE')?.[0],
    kafkaCert: readFileVariable(env, 'FIELDLINE_HISTORIAN_KAFKA_CERT_FILE'),
    kafkaKey: readFileVariable(env, 'FIELDLINE_HISTORIAN_KAFKA_KEY_FILE'),
  }
  return { ...(mqttCa ? { mqttCa } : {}), ...Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) }
}

export function configFromEnvironment(env: Record<string, string | undefined>): ForwarderConfig {
  try {
    return fromEnvironment(env, envFiles(env))
  } catch (e) {
    throw usage(e)
  }
}

const at = (): string => new Date().toISOString()

function why(reason: { message: string; code: string } | null): string {
  return reason ? `: ${reason.message} [${reason.code}]` : ''
}

/** A batch waiting long for its answer, as a status line says it. */
const waiting = (d: DestinationStatus): string => (d.waitingSince ? `, waiting for an answer since ${d.waitingSince}` : '')

/**
 * What to check after a destination stopped on an error, said after it: headless, nobody sees the card, and a forwarder
 * configured by the environment takes its credentials and CA from variables, which the line names (as `weather` does).
 * Refused credentials name where they are corrected; a certificate that could not be verified, the CA that applies; a
 * 403 (the credentials were accepted), the account's permissions on the databases or the topic.
 */
export function destinationHint(config: ForwarderConfig): (d: DestinationStatus) => string {
  return (d) => {
    const destination = config.destinations.find((x) => x.ref === d.ref)
    if (d.state !== 'failed' || !destination) return ''
    const saved = config.id !== 'env'
    const edit = `${destination.name} (Extensions → Historical data storage → Edit)`
    if (d.reason?.code === 'AUTH_FAILED') {
      if (saved) return `; correct the credentials of ${edit}, then run again`
      if (destination.kind === 'kafka') return '; check FIELDLINE_HISTORIAN_KAFKA_USERNAME and FIELDLINE_HISTORIAN_KAFKA_PASSWORD'
      return destination.settings.auth === 'iam' ? '; check FIELDLINE_HISTORIAN_COUCH_API_KEY' : '; check FIELDLINE_HISTORIAN_COUCH_USERNAME and FIELDLINE_HISTORIAN_COUCH_PASSWORD'
    }
    if (d.reason?.code === 'TLS') {
      const variable = destination.kind === 'kafka' ? 'FIELDLINE_HISTORIAN_KAFKA_CA_FILE' : 'FIELDLINE_HISTORIAN_COUCH_CA_FILE'
      const where = saved ? `its custom CA in ${edit}` : variable
      return `; check the server's certificate, and for one signed by a private authority ${where}, then run again`
    }
    if (d.reason?.code === 'FORBIDDEN') {
      const what = destination.kind === 'kafka' ? `produce to topic ${destination.settings.topic}` : `write to the ${dbPrefix(config.org, destination.settings.dbName)}* databases`
      return `; the credentials were accepted: check that the account may ${what}, then run again`
    }
    return ''
  }
}

/** One line per change between two statuses: the forwarder's state, its MQTT link's, each destination's. */
export function stateLines(prev: HistorianStatus | null, next: HistorianStatus, hint: (d: DestinationStatus) => string = () => ''): string[] {
  const lines: string[] = []
  if (!prev || prev.state !== next.state) lines.push(`${at()} historian ${next.state}${why(next.reason)}`)
  if (next.mqtt.state !== 'off' && (!prev || prev.mqtt.state !== next.mqtt.state)) {
    lines.push(`${at()} historian mqtt ${next.mqtt.state}${next.mqtt.filter ? ` (${next.mqtt.filter})` : ''}${why(next.mqtt.state === 'connected' ? null : next.mqtt.reason)}`)
  }
  for (const d of next.destinations) {
    const before = prev?.destinations.find((x) => x.ref === d.ref)
    // A new back-off step is said too, with its own next try: the time in the last line is always the one that applies.
    // So is a batch that starts or stops waiting long for its answer (a hung destination still reads 'connected').
    const sameWait = (before?.waitingSince ?? null) === (d.waitingSince ?? null)
    if (before && before.state === d.state && before.reason?.message === d.reason?.message && before.nextTryAt === d.nextTryAt && sameWait) continue
    const retry = d.state === 'backingOff' && d.nextTryAt ? `, next try ${d.nextTryAt}` : ''
    lines.push(`${at()} historian destination ${d.ref} ${d.state}${why(d.reason)}${hint(d)}${retry}${waiting(d)}`)
  }
  return lines
}

export function summaryLine(s: ForwarderSummary): string {
  // Stored may exceed received: what an earlier run left queued (killed before sending it) is sent by this one.
  const parts = s.destinations.map(
    (d) =>
      `${d.ref}: ${countText(d.delivered)} stored, ${countText(d.refused)} refused, ${countText(d.dropped)} dropped, ${countText(d.queued)} still queued${d.carriedOver > 0 ? ` (${countText(d.carriedOver)} were queued by an earlier run at the start)` : ''}`,
  )
  return `${at()} historian summary: ${countOf(s.received, 'event')} received, ${countText(s.unmatched)} matched no rule, ${countText(s.intakeFailures)} could not be queued, ${countOf(s.unreadableTopics, 'message')} on topics that name no device event; ${parts.join('; ')}`
}

/**
 * A line when messages on topics that name no device event came since the last one: the first at once, then at most one
 * a minute, each with how many came since, the total and the last such topic.
 */
export function unreadableLines(clock: () => number = Date.now): (s: HistorianStatus) => string[] {
  let said = { count: 0, at: 0 }
  return (s) => {
    if (s.unreadableTopics <= said.count) return []
    if (said.count > 0 && clock() - said.at < 60_000) return []
    const line = `${at()} historian ignored ${countOf(s.unreadableTopics - said.count, 'message')} on topics that name no device event (${countText(s.unreadableTopics)} in all; last: ${s.lastUnreadableTopic ?? '?'})`
    said = { count: s.unreadableTopics, at: clock() }
    return [line]
  }
}

/** Runs the forwarder until `io.stopSignal` or a failure that retrying cannot fix; returns the exit code. */
export async function runHistorian(config: ForwarderConfig, dataDir: string, io: HistorianIo): Promise<number> {
  if (config.mbed) {
    throw new CliError(
      'fieldline: the headless forwarder takes events from the broker only; run `fieldline bridge mbed` to publish the mbed events there, and turn the mbed source off in the historian profile',
      EXIT.usage,
    )
  }
  if (config.mqtt) {
    const broker = new URL(config.mqtt.url)
    if ((broker.protocol === 'mqtt:' || broker.protocol === 'ws:') && !['127.0.0.1', 'localhost', '[::1]'].includes(broker.hostname)) {
      io.line(`${at()} historian warning: ${broker.protocol}//${broker.host} is not encrypted; the broker password and all events travel in clear text`)
    }
  }
  let previous: HistorianStatus | null = null
  const unreadable = unreadableLines()
  const hint = destinationHint(config)
  let allFailed = false
  let failed: () => void = () => {}
  const failure = new Promise<void>((resolve) => (failed = resolve))
  const { createForwarder } = await import('../../core/historian/forwarder')
  const forwarder = createForwarder({
    config,
    dataDir,
    ...(io.logger ? { logger: io.logger } : {}),
    onStatus: (s, changed) => {
      // Once a second too: messages on unreadable topics change no state.
      for (const l of unreadable(s)) io.line(l)
      if (!changed) return
      // Headless, nobody can resume a destination stopped on an error (credentials refused, 403): with none left to
      // deliver to, the forwarder ends with exit 1 so the service manager says so (events wait at the broker). The
      // forwarder's own 'stopping' line that follows says why: one line, not two.
      if (s.destinations.length > 0 && s.destinations.every((d) => d.state === 'failed')) {
        allFailed = true
        failed()
      }
      for (const l of stateLines(previous, s, hint)) {
        io.line(allFailed && / historian stopping$/.test(l) ? `${l}: every destination stopped on an error, and only a restart resumes one headless` : l)
      }
      previous = s
      if (s.state === 'failed') failed()
    },
  })
  try {
    await forwarder.start()
  } catch (e) {
    io.line(`${at()} historian could not start: ${e instanceof Error ? e.message : String(e)}`)
    return EXIT.failed
  }
  await Promise.race([io.stopSignal, failure])
  const code = allFailed || forwarder.status().state === 'failed' ? EXIT.failed : EXIT.ok
  const summary = await forwarder.stop()
  io.line(summaryLine(summary))
  return code
}

interface StatusEntry {
  id: string
  running: boolean
  updatedAt: string | null
  status: HistorianStatus | null
  /**
   * When a forwarder that is not running was killed or crashed rather than stopped (its status file still says it runs,
   * and its process is gone): the time of its last status, at most a second before it ended. Null otherwise.
   */
  endedAbruptlyAt: string | null
  queues: { ref: string; queued: number; dropped: number; oldestQueuedAt: string | null }[]
}

/** What `historian status` reports for each forwarder directory. */
export function readStatuses(dataDir: string): StatusEntry[] {
  return forwarderIds(dataDir).map((id) => {
    const dir = forwarderDir(dataDir, id)
    const file = readStatusFile(dataDir, id)
    const alive = !!file && processAlive(file.pid)
    const running = !!file && file.status.state !== 'stopped' && alive
    const abrupt = !!file && !alive && file.status.state !== 'stopped' && file.status.state !== 'failed'
    const queues = readdirSync(dir)
      .filter((d) => /^(couchdb|kafka)-/.test(d) && statSync(join(dir, d)).isDirectory())
      .map((d) => {
        const q = inspectEventQueue(join(dir, d))
        return { ref: d.replace('-', '/'), queued: q?.queued ?? 0, dropped: q?.dropped ?? 0, oldestQueuedAt: q?.oldestReceivedAt ? new Date(q.oldestReceivedAt).toISOString() : null }
      })
    return { id, running, updatedAt: file?.updatedAt ?? null, status: running ? (file?.status ?? null) : null, endedAbruptlyAt: abrupt ? (file?.updatedAt ?? null) : null, queues }
  })
}

export function printStatuses(entries: StatusEntry[], json: boolean, out: (t: string) => void): void {
  if (json) {
    out(JSON.stringify({ forwarders: entries }, null, 2))
    return
  }
  if (entries.length === 0) {
    out('No forwarder has run with this data directory.')
    return
  }
  for (const e of entries) {
    if (e.running && e.status) {
      const s = e.status
      out(
        `${e.id}: ${s.state} since ${s.since} (updated ${e.updatedAt}); mqtt ${s.mqtt.state}${s.mqtt.filter ? ` ${s.mqtt.filter}` : ''}; ${countText(s.received)} received, ${countText(s.unmatched)} unmatched${s.unreadableTopics > 0 ? `, ${countText(s.unreadableTopics)} on topics that name no device event (last: ${s.lastUnreadableTopic ?? '?'})` : ''}`,
      )
      for (const d of s.destinations) {
        const age = d.oldestQueuedAgeSeconds !== null ? `, oldest ${countText(d.oldestQueuedAgeSeconds)} s` : ''
        const retry = d.nextTryAt ? `, next try ${d.nextTryAt}` : ''
        out(
          `  ${d.ref} ${d.state}${why(d.reason)}${retry}${waiting(d)}: ${d.eventsPerSecond} events/s, ${countText(d.delivered)} stored, ${countText(d.queued)}/${countText(d.queueSize)} queued${age}, ${countText(d.dropped)} dropped${d.lastError ? `, last error ${d.lastErrorAt}: ${d.lastError.message}` : ''}`,
        )
      }
    } else {
      // As the app's card says it (cold trial: after a kill -9 the CLI said only 'not running').
      out(
        `${e.id}: not running${e.endedAbruptlyAt ? `; the last run ended without stopping at ${e.endedAbruptlyAt} (killed or crashed); start it again to forward what waits on disk and at the broker` : ''}`,
      )
      for (const q of e.queues) out(`  ${q.ref}: ${countText(q.queued)} queued${q.oldestQueuedAt ? ` (oldest ${q.oldestQueuedAt})` : ''}, ${countText(q.dropped)} dropped`)
    }
  }
}

function pickCouch(config: ForwarderConfig, id: string | undefined): Extract<DestinationConfig, { kind: 'couchdb' }> {
  const couch = config.destinations.filter((d): d is Extract<DestinationConfig, { kind: 'couchdb' }> => d.kind === 'couchdb')
  const chosen = id ? couch.find((d) => d.ref === `couchdb/${id}`) : couch[0]
  if (!chosen) throw new CliError(`fieldline: ${id ? `the forwarder has no CouchDB destination ${id}` : 'the forwarder has no CouchDB destination to read history from'}`, EXIT.usage)
  return chosen
}

async function profileConfig(withRuntime: WithRuntime, profileId: string | undefined): Promise<ForwarderConfig> {
  let config: ForwarderConfig | undefined
  await withRuntime(async (rt) => {
    try {
      config = await rt.core.historian.resolveConfig(profileId)
    } catch (e) {
      if (e instanceof AppError && e.code === 'VAULT_UNAVAILABLE') throw new CliError(`fieldline: ${e.message}`, EXIT.failed)
      // Nothing saved and no variables: not an invalid configuration but none, and the CLI has the variables too.
      if (profileId === undefined && e instanceof AppError && e.details?.ref?.key === 'profiles.noneForCarrier') {
        throw new CliError('fieldline: no historian profile in this data directory: add one in the app (Extensions), or set the FIELDLINE_HISTORIAN_* variables (README)', EXIT.usage)
      }
      throw usage(e)
    }
  })()
  if (!config) throw new CliError('fieldline: no historian configuration', EXIT.usage)
  return config
}

export function registerHistorian(program: Command, withRuntime: WithRuntime, globals: () => { dataDir: string; json: boolean }): void {
  const historian = program.command('historian').description('historical data storage: forward device events to CouchDB/Cloudant buckets and Kafka')

  historian
    .command('run')
    .description('forward device events until SIGTERM/SIGINT, then drain')
    .option('--profile <id>', 'a saved historian profile; without it, FIELDLINE_HISTORIAN_* and FIELDLINE_MQTT_* variables')
    .action(async (opts: { profile?: string }) => {
      // Variables for a forwarder but not the broker's URL: said so, rather than "no historian profile yet".
      if (opts.profile === undefined && !process.env.FIELDLINE_MQTT_URL && Object.keys(process.env).some((k) => k.startsWith('FIELDLINE_HISTORIAN_'))) {
        throw new CliError('fieldline: FIELDLINE_MQTT_URL is not set: a forwarder from variables takes its events from that broker (or give --profile ID for a saved profile)', EXIT.usage)
      }
      const config = opts.profile !== undefined || !process.env.FIELDLINE_MQTT_URL ? await profileConfig(withRuntime, opts.profile) : configFromEnvironment(process.env)
      const code = await runHistorian(config, globals().dataDir, { line: (t) => process.stderr.write(`${t}\n`), stopSignal: signals() })
      process.exitCode = code
      // A connection a peer keeps open must not keep the process alive once the forwarder has stopped.
      setTimeout(() => process.exit(code), 3_000).unref()
    })

  historian
    .command('buckets')
    .description("a CouchDB destination's bucket databases, those older than its retention marked expired; --delete-expired --yes deletes them")
    .option('--profile <id>', 'a saved historian profile; without it, FIELDLINE_HISTORIAN_COUCH_* and FIELDLINE_MQTT_CLIENT_ID (or FIELDLINE_HISTORIAN_ORG)')
    .option('--destination <id>', 'which CouchDB destination of the profile (default: the first)')
    .option('--delete-expired', 'list the bucket databases older than the retention, and delete them with --yes')
    .option('--yes', 'confirm the deletion (it cannot be undone)')
    .action(async (opts: { profile?: string; destination?: string; deleteExpired?: boolean; yes?: boolean }) => {
      process.exitCode = await buckets(withRuntime, globals().json, opts)
    })

  historian
    .command('status')
    .description('the forwarders of this data directory: state, destinations, queues')
    .action(() => {
      const { dataDir, json } = globals()
      printStatuses(readStatuses(dataDir), json, (t) => process.stdout.write(`${t}\n`))
    })

  historian
    .command('history')
    .description("a device's events for a time range, read back from a CouchDB destination")
    .argument('<type>', 'device type')
    .argument('<id>', 'device id')
    .requiredOption('--from <iso>', 'start (ISO 8601 date and time with a time zone, inclusive)')
    .requiredOption('--to <iso>', 'end (ISO 8601 date and time with a time zone, inclusive)')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('--profile <id>', 'a saved historian profile; without it, FIELDLINE_HISTORIAN_COUCH_* and FIELDLINE_MQTT_CLIENT_ID (or FIELDLINE_HISTORIAN_ORG)')
    .option('--destination <id>', 'which CouchDB destination of the profile (default: the first)')
    .action(async (type: string, id: string, opts: { from: string; to: string; format: string; profile?: string; destination?: string }) => {
      if (globals().json) throw new CliError('fieldline: --json does not apply to historian history, whose rows are CSV or JSON Lines: give --format jsonl for JSON', EXIT.usage)
      if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new CliError('fieldline: --format must be csv or jsonl', EXIT.usage)
      if (!/^[A-Za-z0-9._-]{1,36}$/.test(type) || !/^[A-Za-z0-9._-]{1,36}$/.test(id)) throw new CliError("fieldline: TYPE and ID are 1–36 letters, digits, '-', '_' or '.'", EXIT.usage)
      const fromMs = instantOption('--from', opts.from).ms
      const toMs = instantOption('--to', opts.to).ms
      if (fromMs > toMs) throw new CliError('fieldline: --from must not be after --to', EXIT.usage)
      const format = opts.format
      const config = await couchReadConfig(withRuntime, opts.profile)
      const dest = pickCouch(config, opts.destination)
      const { bucketsOfRange, historyOfDestination } = await import('../../core/historian/history')
      // A range too long for one read is an argument error like the others: said before any output, exit 2.
      try {
        bucketsOfRange(fromMs, toMs, dest.settings.timeZone, dest.settings.bucketInterval)
      } catch (e) {
        throw new CliError(`fieldline: ${e instanceof Error ? e.message : String(e)} (--from, --to)`, EXIT.usage)
      }
      const out = (t: string): void => {
        process.stdout.write(`${t}\n`)
      }
      let cursor: string | undefined
      let offline = false
      // Out of reach with nothing of the range read before: no events is then not an answer, only the absence of one.
      let noCopy = false
      let printed = 0
      // CSV's header names the fields of all the events: the rows wait for the last page (a failed read prints none).
      const forCsv: HistoryEvent[] = []
      do {
        let page
        try {
          page = await historyOfDestination(dest, config.org, globals().dataDir, { typeId: type, deviceId: id, fromMs, toMs, limit: 1000, cursor })
        } catch (e) {
          throw new CliError(`fieldline: ${e instanceof Error ? e.message : String(e)}`, EXIT.failed)
        }
        if (page.offline && !offline) {
          offline = true
          noCopy = page.asOf === null
          process.stderr.write(`fieldline: ${page.offline.message}; ${noCopy ? 'nothing of this range was read before: there is no local copy' : 'showing the local copy of what was read before'}\n`)
        }
        if (format === 'csv') forCsv.push(...page.items)
        else for (const e of page.items) out(JSON.stringify(e))
        printed += page.items.length
        cursor = page.next ?? undefined
      } while (cursor)
      if (format === 'csv') for (const line of historyCsvLines(forCsv)) out(line)
      // An empty answer is a valid one (exit 0), but a mistyped device must not look like a quiet one.
      if (printed === 0 && !noCopy) process.stderr.write(`fieldline: no events for ${type}/${id} from ${opts.from} to ${opts.to}${offline ? ' in the local copy' : ''}\n`)
      // The local copy is printed, but a script must not take it for CouchDB's answer (it may lack the newest events).
      if (offline) process.exitCode = EXIT.failed
    })
}

/**
 * `historian buckets`: a CouchDB destination's bucket databases, the expired ones marked; `--delete-expired` lists those
 * it would delete and deletes them only with `--yes` (a deletion cannot be undone), audited as the app's Buckets dialog
 * does. Headless, this is retention's confirmation: the forwarder never deletes a database on its own.
 */
async function buckets(withRuntime: WithRuntime, json: boolean, opts: { profile?: string; destination?: string; deleteExpired?: boolean; yes?: boolean }): Promise<number> {
  const config = await couchReadConfig(withRuntime, opts.profile)
  const dest = pickCouch(config, opts.destination)
  const s = dest.settings
  const scope = { org: config.org, namePart: s.dbName, interval: s.bucketInterval, zone: s.timeZone, retentionBuckets: s.retentionBuckets }
  const out = (t: string): void => {
    process.stdout.write(`${t}\n`)
  }
  let code: number = EXIT.ok
  await withRuntime(async (rt) => {
    const failed = (e: unknown) => new CliError(`fieldline: ${e instanceof Error ? e.message : String(e)}`, EXIT.failed)
    const list = await rt.core.historian.bucketsOf(dest, scope).catch((e: unknown) => Promise.reject(failed(e)))
    const expired = new Set(list.expired)
    if (!opts.deleteExpired) {
      if (json) return out(JSON.stringify(list))
      // On stderr, as every list says it has none: stdout stays empty for a script.
      if (list.databases.length === 0) process.stderr.write('fieldline: this destination has no bucket database yet (historian run creates them)\n')
      for (const d of list.databases) out(`${d.name}\t${d.bucket}${expired.has(d.name) ? '\texpired' : ''}`)
      if (list.retentionBuckets === 0) process.stderr.write('fieldline: this destination keeps every bucket (retention 0)\n')
      return
    }
    if (list.expired.length === 0) return void process.stderr.write(`fieldline: no bucket database is older than the retention (${countText(list.retentionBuckets)} kept)\n`)
    if (!opts.yes) {
      if (json) out(JSON.stringify({ expired: list.expired }))
      else for (const name of list.expired) out(name)
      process.stderr.write(
        `fieldline: these ${countText(list.expired.length)} bucket databases are older than the retention (${countText(list.retentionBuckets)} kept); run again with --yes to delete them (it cannot be undone)\n`,
      )
      code = EXIT.usage
      return
    }
    const result = await rt.core.historian.deleteBucketsOf(dest, scope, list.expired, { actor: cliActor() }).catch((e: unknown) => Promise.reject(failed(e)))
    if (json) out(JSON.stringify(result))
    else {
      for (const name of result.deleted) out(`deleted\t${name}`)
      for (const r of result.refused) out(`not deleted\t${r.name}\t${r.reason.message}`)
    }
    if (result.refused.length > 0) code = EXIT.failed
  })()
  return code
}

/** What `history` and `buckets` read from: a saved profile, or FIELDLINE_HISTORIAN_COUCH_* when set and no profile is named. */
async function couchReadConfig(withRuntime: WithRuntime, profile: string | undefined): Promise<ForwarderConfig> {
  return profile !== undefined || !process.env.FIELDLINE_HISTORIAN_COUCH_URL ? profileConfig(withRuntime, profile) : historyConfigFromEnvironment(process.env)
}

/** For `history` from variables: the CouchDB destination and the organisation; no broker is needed to read. */
function historyConfigFromEnvironment(env: Record<string, string | undefined>): ForwarderConfig {
  const org = orgFromEnvironment(env)
  if (!org) throw usage(new Error('set FIELDLINE_HISTORIAN_ORG (or FIELDLINE_MQTT_CLIENT_ID): it names the bucket databases'))
  try {
    return { id: 'env', org, mqtt: null, mbed: false, rules: [], destinations: destinationsFromEnvironment(env, envFiles(env)) }
  } catch (e) {
    throw usage(e)
  }
}
