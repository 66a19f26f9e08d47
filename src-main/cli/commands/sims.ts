import { countOf, countText } from '../../../src-shared/models/count-text'
import { describeIssue, issueFacts } from '../../../src-shared/models/input-issues'
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Command } from 'commander'
import { cellText } from '../../../src-shared/models/device-table'
import {
  ALERT_KINDS,
  SIM_EXPORT_COLUMNS,
  WEATHER_RULE_MEASURES,
  WEATHER_RULE_UNITS,
  SIM_SORT_FIELDS,
  simFiltersSchema,
  simQuerySchema,
  type AlertRuleInput,
  type SimFilters,
  type SimQuery,
  type SyncEstimate,
  type SyncProgress,
  type SyncResult,
} from '../../../src-shared/models/sim-inventory'
import { exportFileStart } from '../../../src-shared/models/export-format'
import { collect } from '../device-list-options'
import { exportFormatOf, isDeviceName, writeWhole } from '../export-progress'
import { CliError, EXIT, rowsFormat, wholeNumber, type Runtime, type WithRuntime } from '../runtime'
import { onFirstStopSignal, signalExit, signalName, type StopSignal } from '../stop-signals'
import { tableLine } from './devices'
import { conditionWords } from '../alert-condition-text'

const NUMBER_FIELDS = new Set(['dataAbove', 'dataBelow'])
const LIST_FIELDS = new Set(['carrier', 'account', 'status', 'ratePlan'])
const FILTER_FIELDS = ['carrier', 'account', 'status', 'ratePlan', 'dataAbove', 'dataBelow', 'attached', 'refreshedBefore']
const TABLE_COLUMNS = ['carrier', 'simId', 'account', 'status', 'ratePlan', 'dataBytes', 'asOf', 'devices'] as const

/** The largest value of each whole-number parameter of an alert rule (alertConditionSchema's). */
const RULE_MAXIMA = { bytes: 1e15, count: 1e9, days: 3650, failures: 1000 } as const

const usage = (message: string): CliError => new CliError(`fieldline: ${message}`, EXIT.usage)

/** `--filter FIELD=VALUE`, repeatable; list fields take alternatives (`status=activated,suspended`), the rest one value. */
export function parseSimFilters(given: readonly string[]): SimFilters {
  const filters: Record<string, unknown> = {}
  for (const item of given) {
    const eq = item.indexOf('=')
    const field = eq < 0 ? item : item.slice(0, eq)
    if (eq < 0 || !FILTER_FIELDS.includes(field)) throw usage(`--filter takes FIELD=VALUE with FIELD one of ${FILTER_FIELDS.join(', ')} (got "${item.slice(0, 60)}")`)
    const value = item.slice(eq + 1)
    if (LIST_FIELDS.has(field)) filters[field] = [...((filters[field] as string[] | undefined) ?? []), ...value.split(',')]
    else if (NUMBER_FIELDS.has(field)) {
      // Said here, in the option's terms: the schema would see NaN and answer "expected number, received NaN".
      if (!/^\d{1,16}$/.test(value)) throw usage(`--filter ${field}= takes a whole number of bytes this cycle, such as 1048576 (got "${value.slice(0, 60)}")`)
      filters[field] = Number(value)
    } else if (field === 'attached') {
      if (value !== 'true' && value !== 'false') throw usage('--filter attached= takes true or false')
      filters[field] = value === 'true'
    } else filters[field] = value
  }
  const parsed = simFiltersSchema.safeParse(filters)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path.map(String).join('.')
    throw usage(describeIssue(`--filter ${String(issue.path[0])}=`, issueFacts(issue, path, { input: filters })))
  }
  return parsed.data
}

interface SelectionOptions {
  filter: string[]
  sort?: string
  desc?: boolean
  saved?: string
}

function queryOf(o: SelectionOptions): SimQuery {
  if (o.sort !== undefined && !(SIM_SORT_FIELDS as readonly string[]).includes(o.sort)) throw usage(`--sort takes one of ${SIM_SORT_FIELDS.join(', ')}`)
  return simQuerySchema.parse({ filters: parseSimFilters(o.filter), ...(o.sort ? { sort: o.sort } : {}), descending: o.desc === true })
}

/** The query of the options, over a saved search's when `--saved` names one (its filters first, the options' on top). */
async function selectionOf(rt: Runtime, o: SelectionOptions): Promise<SimQuery> {
  const given = queryOf(o)
  if (o.saved === undefined) return given
  const saved = (await rt.call('sims:searches', {})).items.find((s) => s.id === o.saved)
  if (!saved) throw usage(`there is no saved search ${o.saved.slice(0, 60)} (see \`fieldline sims searches\`)`)
  return { filters: { ...saved.query.filters, ...given.filters }, sort: o.sort ? given.sort : saved.query.sort, descending: o.sort ? given.descending : saved.query.descending }
}

function selection(cmd: Command): Command {
  return cmd
    .option('--saved <id>', 'start from a saved search')
    .option('--filter <FIELD=VALUE>', `filter (repeatable): ${FILTER_FIELDS.join(', ')}`, collect, [])
    .option('--sort <field>', `order by ${SIM_SORT_FIELDS.join(', ')}`)
    .option('--desc', 'descending order')
}

/** Accounts of every carrier profile, or the one asked for. */
async function accountsOf(rt: Runtime, account: string | undefined): Promise<string[]> {
  if (account !== undefined) return [account]
  const { items } = await rt.call('profiles:list', {})
  return items.filter((p) => p.extension === 'jasper' || p.extension === 'atnt' || p.extension === 'orange').map((p) => `${p.extension}:${p.id}`)
}

/** "1 call", "1,129 calls": the CLI writes its numbers as 1,000,000 whatever the locale (README, CLI). */

/**
 * What a full refresh of an account takes. Before the first listing of a Control Center account nothing is known of its
 * SIMs: that is said, rather than "at least 0 SIMs".
 */
export function syncEstimateLine(e: SyncEstimate): string {
  const sims = e.exact ? countOf(e.sims, 'SIM') : e.sims === 0 ? 'SIMs not counted before the first listing' : `at least ${countOf(e.sims, 'SIM')}`
  return `${e.account}: full refresh ${sims}, ${e.exact ? '' : 'at least '}${countOf(e.listingCalls + e.usageCalls, 'call')} at ${e.perSecond}/s ≈ ${duration(e.seconds)}`
}

const optionsText = (o: { full: boolean; usage: boolean }): string => [o.full ? '--full' : '', o.usage ? '--usage' : ''].filter(Boolean).join(' ') || 'neither --full nor --usage'

/**
 * What becomes of a sync a stopped process left unfinished (cold trial: after `kill -9`, nothing said the next sync went
 * on from it, nor that one run with other options started again from the first page).
 */
export function interruptedSyncLine(e: SyncEstimate, next: { full: boolean; usage: boolean }): string | null {
  const left = e.interrupted
  if (left === null) return null
  const wrote = `${countOf(left.listed, 'SIM')} listed${left.phase === 'usage' ? `, ${countText(left.usageRead)} usage read` : ''}`
  // Stopped by the operator (Ctrl+C, the app's Stop) or left by a process that stopped: the next run treats both alike.
  const which = left.stoppedAt ? `the sync stopped ${left.stoppedAt}` : 'the sync a stopped process left unfinished'
  if (left.full === next.full && left.usage === next.usage) return `${e.account}: going on with ${which} (${wrote})`
  const was = left.stoppedAt ? `was stopped ${left.stoppedAt}` : 'was left unfinished'
  return `${e.account}: a sync with ${optionsText(left)} ${was} (${wrote}); this one, with ${optionsText(next)}, starts again from the first page (the SIMs written are kept)`
}

/**
 * Prints an account's progress as the sync result counts it, the SIMs listed and those whose usage was read apart
 * (cold trial: "usage 4,384 SIMs" for an account of 3,000), and never the same line twice in a row: a usage batch of
 * SIMs that use no data reads nothing and changes no count.
 */
export function syncProgressPrinter(account: string, print: (line: string) => void): (p: SyncProgress) => void {
  let last = ''
  return (p) => {
    if (p.account !== account || p.done) return
    const counted = p.phase === 'usage' ? `reading usage, ${countText(p.sims)} usage read` : `listing, ${countText(p.sims)} listed`
    const line = `${account}: ${counted}, ${countOf(p.calls, 'call')}`
    if (line === last) return
    last = line
    print(line)
  }
}

export function syncResultLine(r: SyncResult): string {
  const counts = `${countText(r.listed)} listed, ${countText(r.usageRead)} usage read, ${countOf(r.calls, 'call')}${r.resumed ? ' (resumed)' : ''}`
  if (r.stopped) return `${r.account}: stopped after ${counts}; what was read is kept, and the next sync with the same options goes on from there`
  return `${r.account}: ${counts}, ${countOf(r.fired, 'alert')} fired`
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

/**
 * Why `sims sync` has nothing to sync, and where a profile is added: no command does (the `sim` and `orange` commands'
 * FIELDLINE_CC_* and FIELDLINE_ORANGE_* variables are theirs alone). Cold trial: "add one first" said neither what nor where.
 */
const NO_CARRIER_PROFILE =
  "no carrier profile (Jasper, AT&T Control Center or Orange) in this data folder, and sims sync reads the accounts of saved profiles: add one in the desktop app or in serve mode (`fieldline serve`, on the same data folder), in Extensions, with the carrier's Add button (no fieldline command adds one; a deleted one comes back with `fieldline trash restore ID`, its ID in `fieldline trash list`)"

/** The bound of a data-share rule (its schema in sim-inventory): up to ten times the plan's allowance. */
const MAX_PERCENT = 1000

export function registerSims(program: Command, withRuntime: WithRuntime): void {
  const sims = program.command('sims').description('the SIM inventory across Jasper, AT&T and Orange accounts: sync, list, export')

  sims
    .command('sync')
    .description('sync the inventory from each carrier account (what changed since the last sync), then evaluate the alerts')
    .option('--account <extension:profile>', 'one account (e.g. jasper:ops); all carrier profiles by default')
    .option('--full', 'list every SIM again, not only what changed')
    .option('--usage', 'also read data/SMS this cycle and the last session of active SIMs (Control Center; two calls per SIM)')
    .option('--estimate', 'only say how many calls and how long a full refresh takes at the account’s rate')
    .action(
      withRuntime(async (rt, opts: { account?: string; full?: boolean; usage?: boolean; estimate?: boolean }) => {
        const accounts = await accountsOf(rt, opts.account)
        if (accounts.length === 0) throw usage(NO_CARRIER_PROFILE)
        const results: unknown[] = []
        let failed = false
        // Ctrl+C or SIGTERM (systemd's stop, a container's) stops the sync under way as the app's Stop does
        // (reads:cancel): the call in flight is abandoned, what was read is written and the checkpoint says stopped,
        // where dying at once left pages read but unwritten. Once: a second signal ends the process at once, which the
        // next sync resumes from as well.
        let interrupted: StopSignal | null = null
        let syncing: string | null = null
        const onInterrupt = async (signal: StopSignal) => {
          interrupted = signal
          // The sync is named before the core has taken it: asked again until it stops it or the sync ended.
          for (const readId = syncing; readId !== null && syncing === readId; await delay(50)) {
            if ((await rt.call('reads:cancel', { readId })).cancelled) return
          }
        }
        const notSynced = [...accounts]
        const stopListening = opts.estimate ? () => undefined : onFirstStopSignal((signal) => void onInterrupt(signal))
        try {
          for (const account of accounts) {
            if (interrupted) break
            const estimate = await rt.call('sims:estimate', { account, usage: opts.usage === true })
            const about = syncEstimateLine(estimate)
            if (opts.estimate) {
              if (rt.json) results.push(estimate)
              else rt.out(about)
              continue
            }
            rt.err(about)
            if (interrupted) break
            notSynced.shift()
            const left = interruptedSyncLine(estimate, { full: opts.full === true, usage: opts.usage === true })
            if (left !== null) rt.err(left)
            const printProgress = syncProgressPrinter(account, (line) => rt.err(line))
            const off = rt.core.bus.subscribe((event, payload) => {
              if (event === 'sims:progress') printProgress(payload as SyncProgress)
            })
            const readId = randomUUID()
            syncing = readId
            try {
              const r = await rt.call('sims:sync', { account, full: opts.full === true, usage: opts.usage === true, readId })
              if (rt.json) results.push(r)
              else rt.out(syncResultLine(r))
            } catch (e) {
              // One account failing does not stop the others; the exit code says something failed.
              if (!(e instanceof CliError)) throw e
              failed = true
              rt.err(`${account}: ${e.message}`)
            } finally {
              syncing = null
              off()
            }
          }
        } finally {
          stopListening()
        }
        if (rt.json) rt.out(JSON.stringify(results))
        if (interrupted) {
          rt.err(`fieldline: sims sync stopped (${signalName(interrupted)}); what was read is saved${notSynced.length > 0 ? `; not synced: ${notSynced.join(', ')}` : ''}`)
          return signalExit(interrupted)
        }
        return failed ? EXIT.failed : EXIT.ok
      }),
    )

  selection(sims.command('list').description('list the inventory: filter, sort, page'))
    .option('--format <format>', 'table (tab-separated; the default), csv or jsonl; not with --json, which prints {total, items}')
    .option('--offset <n>', 'skip this many matches', '0')
    .option('--limit <n>', 'show at most this many', '1000')
    .action(
      withRuntime(async (rt, opts: SelectionOptions & { format?: string; offset: string; limit: string }) => {
        const format = rowsFormat(rt.json, opts.format)
        const page = await rt.call('sims:query', {
          query: await selectionOf(rt, opts),
          offset: wholeNumber('--offset', opts.offset, 0, Number.MAX_SAFE_INTEGER),
          limit: wholeNumber('--limit', opts.limit, 1, 1000),
        })
        if (format === 'json') return rt.out(JSON.stringify(page))
        const { simCsvHeader, simCsvLine, simJsonLine } = await import('../../core/sims/inventory-query')
        if (format === 'csv') return rt.out([simCsvHeader(), ...page.items.map(simCsvLine)].join('').trimEnd())
        if (format === 'jsonl') return page.items.length ? rt.out(page.items.map(simJsonLine).join('').trimEnd()) : undefined
        for (const row of page.items) rt.out(tableLine(TABLE_COLUMNS.map((c) => cellText(row[c]))))
        rt.err(`${countText(page.items.length)} shown of ${countText(page.total)}`)
      }),
    )

  selection(sims.command('export <file>').description(`write the inventory (or what the filters select) to a CSV or JSON Lines file (${SIM_EXPORT_COLUMNS.length} columns)`))
    .option('--format <format>', "the file's format, csv or jsonl: by default from its name (.csv; .jsonl or .ndjson), CSV for a name without extension; --json is the summary printed, {file, rows}")
    .option('--no-bom', "CSV: leave out the UTF-8 byte-order mark the file starts with (Excel needs it to read accents; a script's CSV reader may not expect it)")
    .action(
      withRuntime(async (rt, file: string, opts: SelectionOptions & { format?: string; bom: boolean }) => {
        const format = exportFormatOf(file, opts.format)
        const query = await selectionOf(rt, opts)
        await writeWhole(file, async (out) => {
          await out.write(exportFileStart(format, opts.bom))
          for await (const part of rt.core.simInventory.exportParts({ query, except: [] }, format)) await out.write(part.data)
        })
        const { total } = await rt.call('sims:count', { filters: query.filters })
        const summary = rt.json ? JSON.stringify({ file, rows: total }) : `exported ${countOf(total, 'SIM')} to ${file}`
        // Exported to /dev/stdout, the rows are stdout: the summary is not one of them.
        if (isDeviceName(file)) rt.err(summary)
        else rt.out(summary)
      }),
    )

  selection(sims.command('save-search <id>').description('save the filters and order as a named search (replacing one of that id)'))
    .requiredOption('--name <text>', 'what lists call it')
    .action(
      withRuntime(async (rt, id: string, opts: SelectionOptions & { name: string }) => {
        const saved = await rt.call('sims:saveSearch', { id, name: opts.name, query: await selectionOf(rt, opts) })
        rt.out(rt.json ? JSON.stringify(saved) : `saved search ${saved.id}`)
      }),
    )
  sims
    .command('searches')
    .description('list the saved searches')
    .action(
      withRuntime(async (rt) => {
        const { items } = await rt.call('sims:searches', {})
        if (rt.json) return rt.out(JSON.stringify(items))
        // On stderr, as every list says it has none: stdout stays empty for a script.
        if (items.length === 0) rt.err('fieldline: no saved search (sims save-search ID --name TEXT saves one)')
        for (const s of items) rt.out(tableLine([s.id, s.name, JSON.stringify(s.query.filters), `${s.query.sort}${s.query.descending ? ' desc' : ''}`]))
      }),
    )
  sims
    .command('remove-search <id>')
    .description('remove a saved search')
    .action(
      withRuntime(async (rt, id: string) => {
        await rt.call('sims:removeSearch', { id })
        rt.out(rt.json ? JSON.stringify({ removed: id }) : `removed saved search ${id}`)
      }),
    )

  const alerts = program.command('alerts').description('usage alerts over the SIM inventory, weather alerts at devices, and the notification inbox')
  alerts
    .command('list')
    .description('list the alert rules')
    .action(
      withRuntime(async (rt) => {
        const { items } = await rt.call('alerts:list', {})
        if (rt.json) return rt.out(JSON.stringify(items))
        if (items.length === 0) rt.err('fieldline: no alert rule (alerts add ID adds one)')
        for (const r of items) rt.out(tableLine([r.id, r.name, conditionWords(r.condition), [...r.carriers, ...r.accounts].join(' '), r.emails.join(' ')]))
      }),
    )
  alerts
    .command('add <id>')
    .description(`add a rule: --kind ${ALERT_KINDS.join('|')} with its parameter`)
    .requiredOption('--name <text>', 'what the inbox calls it')
    .requiredOption('--kind <kind>', ALERT_KINDS.join(', '))
    .option('--bytes <n>', 'dataAbove: bytes this cycle')
    .option('--percent <n>', 'dataShare: share of the plan allowance')
    .option('--allowance <PLAN=BYTES>', 'dataShare: a plan’s allowance (repeatable)', collect, [])
    .option('--count <n>', 'smsAbove: SMS this cycle')
    .option('--to <status>', 'statusChanged: only changes to this status (repeatable; any change by default)', collect, [])
    .option('--days <n>', 'noSession: days without a data session')
    .option('--failures <n>', 'syncFailing: failed syncs in a row')
    .option('--measure <measure>', `weather: ${WEATHER_RULE_MEASURES.join(' or ')} at the device`)
    .option('--above <n>', 'weather: fire when the measure is above this')
    .option('--below <n>', 'weather: fire when the measure is below this')
    .option('--unit <unit>', `weather: the threshold's unit (${[...WEATHER_RULE_UNITS.temperature, ...WEATHER_RULE_UNITS.windSpeed].join(', ')}; the workspace's weather units by default)`)
    .option('--carrier <carrier>', 'only SIMs of this carrier (repeatable)', collect, [])
    .option('--account <extension:profile>', 'only this account (repeatable)', collect, [])
    .option('--email <address>', 'also email this team member (repeatable)', collect, [])
    .action(
      withRuntime(
        async (
          rt,
          id: string,
          o: {
            name: string
            kind: string
            bytes?: string
            percent?: string
            allowance: string[]
            count?: string
            to: string[]
            days?: string
            failures?: string
            measure?: string
            above?: string
            below?: string
            unit?: string
            carrier: string[]
            account: string[]
            email: string[]
          },
        ) => {
          // Each parameter checked here against the rule's range, so that a bad one is named as the option it came from
          // rather than as the core's "Invalid input for alerts:add: condition.bytes: …" (or "received NaN").
          const num = (v: string | undefined, flag: 'bytes' | 'count' | 'days' | 'failures'): number => {
            if (v === undefined) throw usage(`--kind ${o.kind} needs --${flag}`)
            return wholeNumber(`--${flag}`, v, 1, RULE_MAXIMA[flag])
          }
          const percent = (v: string | undefined): number => {
            if (v === undefined) throw usage(`--kind ${o.kind} needs --percent`)
            const n = Number(v)
            if (!/^\d+(\.\d+)?$/.test(v.trim()) || n < 1 || n > MAX_PERCENT) throw usage(`--percent takes a number from 1 to ${countText(MAX_PERCENT)} (got "${v.slice(0, 40)}")`)
            return n
          }
          const conditions: Record<string, () => unknown> = {
            dataAbove: () => ({ kind: 'dataAbove', bytes: num(o.bytes, 'bytes') }),
            dataShare: () => ({
              kind: 'dataShare',
              percent: percent(o.percent),
              allowances: Object.fromEntries(
                o.allowance.map((a) => {
                  const eq = a.lastIndexOf('=')
                  if (eq < 1) throw usage('--allowance takes PLAN=BYTES')
                  return [a.slice(0, eq), wholeNumber(`--allowance ${a.slice(0, eq).slice(0, 60)}=`, a.slice(eq + 1), 1, RULE_MAXIMA.bytes)]
                }),
              ),
            }),
            smsAbove: () => ({ kind: 'smsAbove', count: num(o.count, 'count') }),
            statusChanged: () => ({ kind: 'statusChanged', to: o.to }),
            noSession: () => ({ kind: 'noSession', days: num(o.days, 'days') }),
            syncFailing: () => ({ kind: 'syncFailing', failures: num(o.failures, 'failures') }),
            smsFailed: () => ({ kind: 'smsFailed' }),
            weather: () => {
              if (o.measure === undefined) throw usage('--kind weather needs --measure')
              if ((o.above === undefined) === (o.below === undefined)) throw usage('--kind weather needs one of --above or --below')
              return {
                kind: 'weather',
                measure: o.measure,
                comparison: o.above === undefined ? 'below' : 'above',
                threshold: Number(o.above ?? o.below),
                ...(o.unit === undefined ? {} : { unit: o.unit }),
              }
            },
          }
          const condition = conditions[o.kind]
          if (!condition) throw usage(`--kind takes one of ${ALERT_KINDS.join(', ')}`)
          const input = { id, name: o.name, condition: condition(), carriers: o.carrier, accounts: o.account, emails: o.email } as AlertRuleInput
          const rule = await rt.call('alerts:add', input)
          rt.out(rt.json ? JSON.stringify(rule) : `added alert rule ${rule.id}`)
        },
      ),
    )
  alerts
    .command('remove <id>')
    .description('remove a rule into the trash (`trash restore` brings it back)')
    .action(
      withRuntime(async (rt, id: string) => {
        const { trashId } = await rt.call('alerts:remove', { id })
        rt.out(rt.json ? JSON.stringify({ removed: id, trashId }) : `removed alert rule ${id} (trash ${trashId})`)
      }),
    )
  alerts
    .command('check')
    .description('evaluate every rule over the cached inventory now (for cron, after `sims sync`)')
    .action(
      withRuntime(async (rt) => {
        const { fired } = await rt.call('alerts:check', {})
        const { unread } = await rt.call('inbox:list', { limit: 1 })
        rt.out(rt.json ? JSON.stringify({ fired, unread }) : `${countOf(fired, 'alert')} fired, ${countText(unread)} unread in the inbox`)
      }),
    )
  alerts
    .command('inbox')
    .description('list the notification inbox, newest first')
    .option('--unread', 'only unread notifications')
    .option('--limit <n>', 'show at most this many', '100')
    .action(
      withRuntime(async (rt, o: { unread?: boolean; limit: string }) => {
        const page = await rt.call('inbox:list', { unreadOnly: o.unread === true, limit: wholeNumber('--limit', o.limit, 1, 500) })
        if (rt.json) return rt.out(JSON.stringify(page))
        const subject = (n: (typeof page.items)[number]) => (n.sim ? `${n.sim.carrier}:${n.sim.simId}` : n.device ? `${n.device.typeId}/${n.device.deviceId}` : (n.account ?? ''))
        for (const n of page.items) rt.out(tableLine([n.firedAt, n.read ? 'read' : 'unread', n.ruleId, subject(n), String(n.value), n.id]))
        rt.err(`${countText(page.items.length)} shown of ${countText(page.total)}, ${countText(page.unread)} unread`)
      }),
    )
}
