/**
 * `fieldline job …`: bulk SIM jobs (issue 14) through the same channels as the UI.
 *
 * - `create --op status|orange-status|rate-plan|sms|refresh (--from-csv FILE | --query Q) [--status S] [--rate-plan P]
 *   [--text T] [--data-coding N] [--carrier jasper|atnt] [--profile ID] [--orange-profile ID]`: a job (nothing sent);
 *   prints its id. `orange-status` is a status change whose CSV rows are Orange serial numbers (each sent as an Orange
 *   status ticket); a CSV's `carrier` column marks Orange rows among others just as well.
 * - `preflight ID [--refresh]`: checks every row and prints the dry-run table (before → after, findings) and the
 *   estimated duration at the account's rate limit; `--refresh` reads every SIM from the carrier instead of the cache.
 * - `run ID [--resend-unknown]` / `resume ID`: sends the pending rows, progress on stderr, until the job ends; SIGINT
 *   or SIGTERM pauses it after the calls in flight. Exit 0 when every row sent is done, 1 when some failed or their
 *   outcome is unknown, or the job paused because the carrier could not be reached.
 * - `pause ID`, `cancel ID`: for a job a process left running (the workspace is opened by one process at a time).
 * - `status ID [--follow]`: counts and state; `--follow` continues a job left running here and prints its progress.
 * - `export ID FILE [--no-bom]` (`-` for stdout): per-row outcomes as CSV, a file with UTF-8's byte-order mark.
 * - `undo ID [--run]`: a new job, pre-flighted, that sets back what ID changed (its rows done, and those of unknown
 *   outcome, skipped when the carrier shows the change never reached the SIM); `--run` sends it at once.
 */
import { countOf, countText } from '../../../src-shared/models/count-text'
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { Input } from '../../../src-shared/contract'
import type { DeviceQueryInput } from '../../../src-shared/models/device-query'
import { exportFileStart } from '../../../src-shared/models/export-format'
import type { ControlCenterExtension } from '../../../src-shared/models/profiles'
import {
  JOB_STATUS_TARGETS,
  finishedRows,
  jobIdSchema,
  jobWaitingSeconds,
  shownRowState,
  undoableRows,
  type Job,
  type JobProgress,
  type JobRow,
  type JobRowState,
} from '../../../src-shared/models/sim-jobs'
import { writeWhole } from '../export-progress'
import { cannotReadError } from '../file-problems'
import { CliError, EXIT, type Runtime, type WithRuntime } from '../runtime'
import { signals } from '../stop-signals'
import { statusWord } from '../status-word'

const OPERATIONS: Record<string, Job['operation']> = { status: 'status', 'orange-status': 'status', 'rate-plan': 'ratePlan', sms: 'sms', refresh: 'refresh' }
const ROWS_PAGE = 1000

interface CreateOptions {
  op: string
  fromCsv?: string
  query?: string
  status?: string
  ratePlan?: string
  text?: string
  dataCoding?: string
  carrier: string
  profile?: string
  orangeProfile?: string
}

/** `--query` is the device list's query as JSON, or plain text searched like the list's search field. */
function parseQuery(text: string): DeviceQueryInput {
  if (!text.trim().startsWith('{')) return { text }
  try {
    return JSON.parse(text) as DeviceQueryInput
  } catch (e) {
    throw new CliError(`fieldline: --query is not valid JSON (${e instanceof Error ? e.message : String(e)})`, EXIT.usage)
  }
}

async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (e) {
    throw new CliError(`fieldline: ${cannotReadError(file, e)}`, EXIT.usage)
  }
}

const duration = (seconds: number | null): string => (seconds === null ? '—' : seconds < 90 ? `${Math.ceil(seconds)} s` : `${countText(Math.ceil(seconds / 60))} min`)

const side = (v: JobRow['before'], operation: Job['operation']): string => {
  if (!v) return '?'
  if (operation === 'sms') return v.smsLength === undefined ? '?' : `${v.smsLength} (coding ${v.dataCoding ?? 0})`
  if (operation === 'refresh') return `${v.status ?? '?'} ${v.ratePlan ?? '?'}`
  return String((operation === 'status' ? v.status : v.ratePlan) ?? '?')
}

/**
 * A row's state in the app's words (its job page: jobs.ui.rowInterrupted, jobs.ui.rowNotSent) when a stopped job left it
 * so: a change abandoned on the wire is `interrupted`, a row a cancel kept from being sent is `not sent`. The CLI
 * speaks English only, as its other output does; `--json` keeps the row's own state. (Rows themselves are printed by
 * `preflight` and `undo` only, of a job not started yet.)
 */
function stateText(state: JobRowState, jobState: Job['state']): string {
  const shown = shownRowState(state, jobState)
  return shown === 'notSent' ? 'not sent' : shown
}
const INTERRUPTED_NOTE = '(checked with the carrier when the job resumes)'

function rowLine(row: JobRow, operation: Job['operation']): string {
  const change = operation === 'sms' ? `sms ${side(row.after, operation)}` : `${side(row.before, operation)} → ${side(row.after, operation)}`
  const findings = row.issues.map((i) => `${i.code}${i.severity === 'warning' ? ' (warning)' : ''}${i.detail ? ` ${i.detail}` : ''}`).join(', ')
  const error = row.error ? `  ${row.error.code}: ${row.error.message}` : ''
  const sim = row.carrier ? `${row.id} (${row.carrier})` : row.id
  const ticket = row.ticketNumber !== null ? ` ticket ${row.ticketNumber}` : ''
  return `${row.source}\t${sim}\t${change}\t${row.state}${ticket}${findings ? `\t${findings}` : ''}${error}`
}

async function allRows(rt: Runtime, jobId: string): Promise<JobRow[]> {
  const rows: JobRow[] = []
  for (let offset = 0; ; offset += ROWS_PAGE) {
    const page = await rt.call('jobs:rows', { jobId, offset, limit: ROWS_PAGE })
    rows.push(...page.items)
    if (rows.length >= page.total || page.items.length === 0) return rows
  }
}

/** The job's rows by state, a stopped job's in the app's words (stateText); interrupted rows only when there are some, as in the app. */
const countsLine = (job: Pick<Job, 'counts' | 'state'>): string =>
  Object.entries(job.counts)
    .flatMap(([k, v]) => {
      if (k === 'total') return [`total ${countText(v)}`]
      const shown = stateText(k as JobRowState, job.state)
      if (shown !== 'interrupted') return [`${shown} ${countText(v)}`]
      return v > 0 ? [`${shown} ${countText(v)} ${INTERRUPTED_NOTE}`] : []
    })
    .join(', ')

async function printTable(rt: Runtime, job: Job): Promise<void> {
  if (rt.json) {
    rt.out(JSON.stringify({ job, rows: await allRows(rt, job.id) }))
    return
  }
  for (const row of await allRows(rt, job.id)) rt.out(rowLine(row, job.operation))
  rt.out(`job ${job.id}: ${countsLine(job)}`)
  rt.out(`estimated duration at ${job.perSecond} requests/s: ${duration(job.estimateSeconds)}`)
}

/**
 * A job id as typed, checked here so that a mistyped one is told in the command's terms: the core's own check named its
 * channel and schema path ("Invalid input for jobs:pause: jobId: …").
 */
export function jobIdArgument(text: string): string {
  if (!jobIdSchema.safeParse(text).success) throw new CliError(`fieldline: "${text.slice(0, 40)}" is not a job id (j followed by letters and digits, as \`job create\` printed it)`, EXIT.usage)
  return text
}

/** `--status` of `job create`, in Fieldline's spelling or in Control Center's (DEACTIVATED, which `sim status` takes). */
export function jobStatusOption(text: string): (typeof JOB_STATUS_TARGETS)[number] {
  const status = statusWord(text, JOB_STATUS_TARGETS)
  if (status === undefined) throw new CliError(`fieldline: --status takes one of ${JOB_STATUS_TARGETS.join(', ')} (got "${text.slice(0, 40)}")`, EXIT.usage)
  return status
}

/** One line of a followed job's progress, its rows on their way counted; the rate and time left only while it runs (a paused job has neither). */
export function progressLine(p: JobProgress): string {
  const c = p.counts
  const rate = p.ratePerSecond === null || p.state !== 'running' ? '' : `, ${p.ratePerSecond.toFixed(1)}/s, ETA ${duration(p.etaSeconds)}`
  // Rows on their way are neither finished nor pending: without them the counts did not add up to the total.
  const onTheirWay = c.sending > 0 ? `, ${stateText('sending', p.state)} ${countText(c.sending)}` : ''
  return `${p.jobId} ${p.state}: ${countText(c.done + c.failed + c.unknown)}/${countText(c.total - c.skipped)} (done ${countText(c.done)}, failed ${countText(c.failed)}, unknown ${countText(c.unknown)}${onTheirWay}, pending ${countText(c.pending)})${rate}`
}

/** Starts or continues a job in this process and follows it until it stops; a signal pauses it. */
async function follow(rt: Runtime, jobId: string, channel: 'jobs:run' | 'jobs:resume', resendUnknown: boolean): Promise<number> {
  let finished = -1
  let moved = Date.now()
  let said = 0
  const off = rt.core.bus.subscribe((event, payload) => {
    const p = payload as JobProgress
    if (event !== 'jobs:progress' || p.jobId !== jobId) return
    const now = finishedRows(p)
    if (now !== finished || p.state !== 'running') [finished, moved, said] = [now, Date.now(), 0]
    if (!rt.json) rt.err(progressLine(p))
  })
  // A carrier slow to answer leaves no progress to print: the operator is told the job waits, not left with silence.
  const waiting = setInterval(() => {
    const waited = jobWaitingSeconds(Date.now() - moved)
    if (rt.json || finished < 0 || waited === 0 || waited === said) return
    said = waited
    rt.err(`${jobId} waiting: no row has finished for ${duration(waited)}; the carrier is slow to answer (a carrier that stops answering pauses the job)`)
  }, 1000)
  try {
    if (channel === 'jobs:run') await rt.call('jobs:run', { jobId, resendUnknown })
    else await rt.call('jobs:resume', { jobId })
    const settled = rt.core.jobs.settled(jobId)
    const stopped = await Promise.race([settled.then(() => false), signals().then(() => true)])
    if (stopped) await rt.call('jobs:pause', { jobId })
  } finally {
    off()
    clearInterval(waiting)
  }
  const { job } = await rt.call('jobs:status', { jobId })
  if (rt.json) rt.out(JSON.stringify(job))
  else rt.out(`job ${job.id} ${job.state}: ${countsLine(job)}`)
  // Paused on its own: rows are left unsent, and a script must not take that for the end of the job.
  if (job.unreachable) rt.err(`fieldline: job ${job.id} paused: the carrier could not be reached (${job.unreachable.message}); \`fieldline job resume ${job.id}\` once it answers`)
  return job.counts.failed > 0 || job.counts.unknown > 0 || job.unreachable ? EXIT.failed : EXIT.ok
}

export function registerJob(program: Command, withRuntime: WithRuntime): void {
  const job = program.command('job').description('bulk SIM jobs for Jasper / AT&T Control Center: create, pre-flight, run, pause, resume, cancel, export, undo')

  job
    .command('create')
    .description('a job from a CSV (header iccid[,status][,ratePlan][,text][,carrier]) or from a device query; nothing is sent')
    .requiredOption('--op <op>', 'status, orange-status (a CSV of Orange serial numbers, each an Orange status ticket), rate-plan, sms or refresh (read each SIM again)')
    .option('--from-csv <file>', 'targets from a CSV file')
    .option('--query <query>', 'targets from the device list: its query as JSON, or text to search for')
    .option('--status <status>', 'the status to set (inventory, activationReady, activated, deactivated, retired; Orange SIMs: activated, activatedForTest, sleeping, suspended)')
    .option('--rate-plan <plan>', 'the rate plan to set (its exact name)')
    .option('--text <text>', 'the SMS to send')
    .option('--data-coding <n>', 'SMS data coding 0, 1, 3, 4 or 8 (default: 0 for GSM-7 text, 8 otherwise)')
    .option('--carrier <carrier>', 'jasper or atnt', 'jasper')
    .option('--profile <id>', 'the Control Center profile (default: the default one)')
    .option('--orange-profile <id>', 'the Orange profile of Orange rows (default: the default one)')
    .action(
      withRuntime(async (rt, opts: CreateOptions) => {
        const operation = OPERATIONS[opts.op]
        if (!operation) throw new CliError('fieldline: --op must be status, orange-status, rate-plan, sms or refresh', EXIT.usage)
        if (Boolean(opts.fromCsv) === Boolean(opts.query)) throw new CliError('fieldline: give exactly one of --from-csv FILE and --query Q', EXIT.usage)
        const orangeCsv = opts.op === 'orange-status'
        if (orangeCsv && !opts.fromCsv) throw new CliError('fieldline: --op orange-status takes its Orange serial numbers from --from-csv FILE', EXIT.usage)
        const source = opts.fromCsv
          ? { kind: 'csv' as const, text: await readCsv(opts.fromCsv), ...(orangeCsv ? { carrier: 'orange' as const } : {}) }
          : { kind: 'query' as const, query: parseQuery(opts.query!) }
        const params = {
          ...(opts.status !== undefined ? { status: jobStatusOption(opts.status) } : {}),
          ...(opts.ratePlan !== undefined ? { ratePlan: opts.ratePlan } : {}),
          ...(opts.text !== undefined ? { text: opts.text } : {}),
          ...(opts.dataCoding !== undefined ? { dataCoding: Number(opts.dataCoding) } : {}),
        }
        const created = await rt.call('jobs:create', {
          operation,
          carrier: opts.carrier as ControlCenterExtension,
          ...(opts.profile ? { profileId: opts.profile } : {}),
          ...(opts.orangeProfile ? { orangeProfileId: opts.orangeProfile } : {}),
          source,
          params: params as Input<'jobs:create'>['params'],
        })
        rt.out(rt.json ? JSON.stringify(created) : `job ${created.id} created: ${countOf(created.counts.total, 'row')} (next: fieldline job preflight ${created.id})`)
      }),
    )

  job
    .command('preflight <id>')
    .description('check every row and print the dry-run table; nothing is sent')
    .option('--refresh', "read every SIM's status from the carrier instead of the cache")
    .action(
      withRuntime(async (rt, id: string, opts: { refresh?: boolean }) => {
        await printTable(rt, await rt.call('jobs:preflight', { jobId: jobIdArgument(id), refresh: opts.refresh === true }))
      }),
    )

  job
    .command('run <id>')
    .description('send the pending rows until the job ends (Ctrl-C pauses it)')
    .option('--resend-unknown', 'also send again the SMS whose outcome is unknown (they may reach the device twice)')
    .action(withRuntime((rt, id: string, opts: { resendUnknown?: boolean }) => follow(rt, jobIdArgument(id), 'jobs:run', opts.resendUnknown === true)))

  job
    .command('resume <id>')
    .description('continue a paused job until it ends (Ctrl-C pauses it again)')
    .action(withRuntime((rt, id: string) => follow(rt, jobIdArgument(id), 'jobs:resume', false)))

  for (const [name, description] of [
    ['pause', 'pause a job a process left running (during `job run`, Ctrl-C pauses)'],
    ['cancel', 'cancel a job: its pending rows are never sent'],
  ] as const) {
    job
      .command(`${name} <id>`)
      .description(description)
      .action(
        withRuntime(async (rt, id: string) => {
          const result = await rt.call(name === 'pause' ? 'jobs:pause' : 'jobs:cancel', { jobId: jobIdArgument(id) })
          rt.out(rt.json ? JSON.stringify(result) : `job ${result.id} ${result.state}: ${countsLine(result)}`)
        }),
      )
  }

  job
    .command('status <id>')
    .description("a job's state and counts")
    .option('--follow', 'continue a job left running here and print its progress until it stops')
    .action(
      withRuntime(async (rt, id: string, opts: { follow?: boolean }) => {
        const status = await rt.call('jobs:status', { jobId: jobIdArgument(id) })
        if (opts.follow && status.state === 'running') return follow(rt, jobIdArgument(id), 'jobs:resume', false)
        if (rt.json) rt.out(JSON.stringify(status))
        else if (status.state === 'running') {
          // The workspace is this process's alone and the CLI continues a job only when asked, so a job still marked running
          // was left so by a process that stopped (killed, a crash). Cold trial: after `kill -9` of `job run`, `status`
          // said "running …, about 17 s to go" while nothing ran it.
          rt.out(`job ${id} running: ${countsLine(status)}`)
          rt.err(`fieldline: job ${id} was left running by a process that stopped: nothing runs it now; \`fieldline job run ${id}\` continues it`)
        } else rt.out(`job ${id} ${status.state}: ${countsLine(status)}${status.etaSeconds !== null ? `, about ${duration(status.etaSeconds)} to go` : ''}`)
        return EXIT.ok
      }),
    )

  job
    .command('export <id> <file>')
    .description('per-row outcomes as CSV (- for stdout)')
    .option('--no-bom', "leave out the UTF-8 byte-order mark a file starts with (Excel needs it to read accents; a script's CSV reader may not expect it)")
    .action(
      withRuntime(async (rt, id: string, file: string, opts: { bom: boolean }) => {
        const parts: string[] = []
        for (let offset: number | null = 0; offset !== null;) {
          const page: { text: string; nextOffset: number | null } = await rt.call('jobs:export', { jobId: jobIdArgument(id), offset })
          parts.push(page.text)
          offset = page.nextOffset
        }
        if (file === '-') process.stdout.write(parts.join(''))
        // Whole or not at all, and a problem in words (cold trial: `job export ID /nope/x.csv` said "ENOENT: no such file
        // or directory, open …", a folder "EISDIR: …" with exit 1, and a full disk left a truncated file).
        else
          await writeWhole(
            file,
            async (out) => {
              await out.write(exportFileStart('csv', opts.bom) + parts.join(''))
            },
            undefined,
            0o600,
          )
      }),
    )

  job
    .command('undo <id>')
    .description(
      'a new job, pre-flighted, that sets back the status or rate plan of the rows ID changed or may have changed (unknown outcome: read from the carrier, skipped if unchanged; an Orange SIM cannot go back to preActivated, cancelled or a test activation: those rows are refused)',
    )
    .option('--run', 'send it at once')
    .action(
      withRuntime(async (rt, id: string, opts: { run?: boolean }) => {
        const undo = await rt.call('jobs:undo', { jobId: jobIdArgument(id) })
        // As the app's undo dialog says: the rows of unknown outcome are in the undo, read from the carrier first.
        const unknown = undoableRows((await rt.call('jobs:status', { jobId: jobIdArgument(id) })).job)?.unknown ?? 0
        if (!rt.json && unknown > 0)
          rt.out(`${countText(unknown)} of the rows undone had a change of unknown outcome: each SIM was read from the carrier, and one the change never reached is skipped (noChange)`)
        if (opts.run) return follow(rt, undo.id, 'jobs:run', false)
        await printTable(rt, undo)
        if (!rt.json) rt.out(`next: fieldline job run ${undo.id}`)
        return EXIT.ok
      }),
    )
}
