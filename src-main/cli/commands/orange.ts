import { countText } from '../../../src-shared/models/count-text'
import type { Command } from 'commander'
import { ORANGE_REQUESTABLE_STATUSES, ORANGE_TEST_MODES, orangeRequestableStatusSchema, orangeTestModeSchema, type OrangeTicket } from '../../../src-shared/models/orange'
import { ORANGE_SIM_STATUSES, orangeSimStatusSchema, type OrangeSimStatus } from '../../../src-shared/models/sim'
import type { OrangeAccount } from '../../core/carriers/orange/accounts'
import type { OrangeSearch } from '../../core/carriers/orange/orange.client'
import { CliError, EXIT, cliActor, type Runtime } from '../runtime'
import { instantOption } from '../instant-option'
import { cliError, printRecord } from './sim'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

interface OrangeOptions {
  profile?: string
}

const ENV = ['FIELDLINE_ORANGE_URL', 'FIELDLINE_ORANGE_USERNAME', 'FIELDLINE_ORANGE_PASSWORD'] as const
const DEFAULT_WAIT_SECONDS = 600

/**
 * The account to use: a saved profile (--profile), or, for scripts, FIELDLINE_ORANGE_* variables. The password comes
 * from the vault or the environment, never from an argument (it would show in the process list and shell history).
 */
async function accountFor(rt: Runtime, opts: OrangeOptions): Promise<OrangeAccount> {
  if (opts.profile) return rt.core.orange.accounts.profile(opts.profile)
  const missing = ENV.filter((v) => !process.env[v])
  if (missing.length > 0) throw new CliError(`fieldline: give --profile NAME, or set ${missing.join(', ')}`, EXIT.usage)
  return rt.core.orange.accounts.environment()
}

const ctx = () => ({ actor: cliActor() })

function ticketLines(t: OrangeTicket): string[] {
  const head = `ticket ${t.ticketNumber} (${t.operation}${t.requestedStatus ? ` → ${t.requestedStatus}${t.testMode ? ` ${t.testMode}` : ''}` : ''}) ${t.state}${t.errorCode ? ` ${t.errorCode}` : ''}${t.errorMessage ? ` ${t.errorMessage}` : ''}`
  const lines = t.lines.map((l) => `  ${l.serialNumber}\t${l.processingStatus}${l.errorCode ? `\t${l.errorCode}` : ''}${l.errorMessage ? `\t${l.errorMessage}` : ''}`)
  const unknown = t.unknownLines.map((u) => `  ${u}\tunknown to Orange`)
  const waiting = t.final ? [] : [`  next poll ${t.nextPollAt ?? '(when this account can be reached)'}${t.lastError ? `; last poll failed: ${t.lastError.message}` : ''}`]
  return [head, ...lines, ...unknown, ...waiting]
}

function printTicket(rt: Runtime, t: OrangeTicket): void {
  if (rt.json) rt.out(JSON.stringify(t))
  else for (const line of ticketLines(t)) rt.out(line)
}

/**
 * Waits for a ticket the core follows, printing each state it reaches on stderr. Exit 0 when TERMINATED, 1 when
 * ERROR or when it is still open after `seconds` (the workspace keeps following it: `fieldline orange ticket N`).
 */
async function waitAndReport(rt: Runtime, ticket: OrangeTicket, seconds: number): Promise<number> {
  let last = ticket.state
  const stop = rt.core.bus.subscribe((event, payload) => {
    const t = payload as OrangeTicket
    if (event === 'orange:ticket' && t.id === ticket.id && t.state !== last) {
      last = t.state
      rt.err(`ticket ${t.ticketNumber}: ${t.state}`)
    }
  })
  let timer: NodeJS.Timeout | undefined
  try {
    const final = await Promise.race([
      rt.core.orange.waitFor(ticket.id),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), seconds * 1000)
      }),
    ])
    if (final === null) {
      // With Orange down the state never moves: the last poll's failure says why (cold trial: "still WAITING" said nothing of it).
      const now = await rt.core.orange.ticket(ticket.id)
      const failed = now.lastError ? `; last poll failed: ${now.lastError.message}` : ''
      rt.err(`ticket ${ticket.ticketNumber} is still ${now.state} after ${countText(seconds)} s${failed}; the workspace keeps following it: fieldline orange ticket ${ticket.ticketNumber}`)
      return EXIT.failed
    }
    printTicket(rt, final)
    return final.state === 'TERMINATED' ? EXIT.ok : EXIT.failed
  } finally {
    stop()
    if (timer) clearTimeout(timer)
  }
}

/** A day: a ticket Orange has not settled by then is followed by the workspace, not by a command left waiting. */
const MAX_TIMEOUT_SECONDS = 86_400

function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_TIMEOUT_SECONDS)
    throw new CliError(`fieldline: --timeout must be a whole number of seconds from 1 to ${countText(MAX_TIMEOUT_SECONDS)} (got "${value}")`, EXIT.usage)
  return n
}

export function registerOrange(program: Command, withRuntime: WithRuntime): void {
  const orange = program
    .command('orange')
    .description(`Orange M2M SIMs by serial number (credentials: --profile NAME, or ${ENV.join(', ')})`)
    .option('--profile <id>', 'a saved Orange profile (see the Extensions page)')

  /** Runs one orange sub-command with the chosen account; errors exit 1 (carrier) or 2 (input). */
  const run = <A extends unknown[]>(fn: (rt: Runtime, account: OrangeAccount, ...args: A) => Promise<number | void>) =>
    withRuntime(async (rt: Runtime, ...args: A) => {
      const account = await accountFor(rt, orange.opts<OrangeOptions>()).catch((e: unknown) => cliError(rt, e))
      try {
        return await fn(rt, account, ...args)
      } catch (e) {
        if (e instanceof CliError) throw e
        cliError(rt, e)
      }
    })

  orange
    .command('show <serial>')
    .description('the SIM as Orange has it now (status, dates, pending change, ICCID, IMSI, last location status)')
    .action(run(async (rt, account, serial: string) => printRecord(rt, await rt.core.orange.bySerial.readSim(account, serial))))

  orange
    .command('status <serial> <state>')
    .description(`ask Orange to change the SIM's status: ${ORANGE_REQUESTABLE_STATUSES.join(', ')}; waits for the ticket`)
    .option('--test-mode <mode>', `with ACTIVATED_FOR_TEST: ${ORANGE_TEST_MODES.join(', ')}`)
    .option('--no-wait', 'print the ticket and return; the workspace follows it')
    .option('--timeout <seconds>', 'how long to wait for the ticket', String(DEFAULT_WAIT_SECONDS))
    .action(
      run(async (rt, account, serial: string, state: string, opts: { testMode?: string; wait: boolean; timeout: string }) => {
        const status = orangeRequestableStatusSchema.safeParse(state.toUpperCase())
        if (!status.success) throw new CliError(`fieldline: STATE must be one of ${ORANGE_REQUESTABLE_STATUSES.join(', ')} (got "${state}")`, EXIT.usage)
        const testMode = opts.testMode === undefined ? undefined : orangeTestModeSchema.safeParse(opts.testMode.toUpperCase())
        if (testMode && !testMode.success) throw new CliError(`fieldline: --test-mode must be one of ${ORANGE_TEST_MODES.join(', ')} (got "${opts.testMode}")`, EXIT.usage)
        if (testMode && status.data !== 'ACTIVATED_FOR_TEST') throw new CliError('fieldline: --test-mode goes with ACTIVATED_FOR_TEST only', EXIT.usage)
        const wait = seconds(opts.timeout)
        const ticket = await rt.core.orange.bySerial.submitStatus(account, serial, status.data, testMode?.data, ctx())
        rt.err(`submitted ticket ${ticket.ticketNumber}: ${serial} ${ticket.statusBefore ?? '?'} → ${status.data}`)
        if (!opts.wait) return printTicket(rt, ticket)
        return waitAndReport(rt, ticket, wait)
      }),
    )

  orange
    .command('ticket <ticket>')
    .description('a ticket by number: as the workspace keeps it (polled now if open), or looked up at Orange')
    .option('--location', 'a location ticket (DeviceInfo) rather than a status change')
    .action(
      run(async (rt, account, number: string, opts: { location?: boolean }) => {
        if (!/^\d{1,10}$/.test(number)) throw new CliError(`fieldline: TICKET must be a ticket number (got "${number}")`, EXIT.usage)
        const ticket = await rt.core.orange.bySerial.lookup(account, opts.location ? 'location' : 'status', Number(number), ctx())
        printTicket(rt, ticket)
        if (ticket.location && !rt.json) printRecord(rt, ticket.location, 'location.')
        return ticket.state === 'ERROR' ? EXIT.failed : EXIT.ok
      }),
    )

  orange
    .command('search')
    .description('lines of the account, by serial number (all pages Orange gives)')
    .option('--status <status...>', `only these statuses: ${ORANGE_SIM_STATUSES.join(', ')}`)
    .option('--changed-since <datetime>', 'status changed at or after this ISO 8601 date and time with a zone, e.g. 2024-01-01T00:00:00Z')
    .action(
      run(async (rt, account, opts: { status?: string[]; changedSince?: string }) => {
        if (opts.changedSince !== undefined) instantOption('--changed-since', opts.changedSince)
        const statuses: OrangeSimStatus[] = []
        for (const s of opts.status ?? []) {
          const parsed = orangeSimStatusSchema.safeParse(s.toUpperCase())
          if (!parsed.success) throw new CliError(`fieldline: --status must be one of ${ORANGE_SIM_STATUSES.join(', ')} (got "${s}")`, EXIT.usage)
          statuses.push(parsed.data)
        }
        const query: OrangeSearch = { ...(statuses.length > 0 ? { statuses } : {}), ...(opts.changedSince !== undefined ? { statusChangedSince: opts.changedSince } : {}) }
        let count = 0
        let exceeded = false
        for await (const page of (await account.client()).search(query)) {
          exceeded ||= page.resultsNumberExceeded
          for (const r of page.rows) {
            count++
            rt.out(rt.json ? JSON.stringify(r) : `${r.serialNumber ?? '—'}\t${r.statusRaw ?? '—'}\t${r.lastStatusChangeDate ?? '—'}\t${r.requestedStatus ?? ''}`)
          }
        }
        rt.err(`${countText(count)} SIMs`)
        if (exceeded) rt.err('Orange says more SIMs match than it lists: narrow the search (--status, --changed-since) to see them all')
      }),
    )

  orange
    .command('locate <serial>')
    .description("ask Orange for the SIM's location status (connectivity, roaming, cell, position); waits for the ticket")
    .option('--no-wait', 'print the ticket and return; the workspace follows it')
    .option('--timeout <seconds>', 'how long to wait for the ticket', String(DEFAULT_WAIT_SECONDS))
    .action(
      run(async (rt, account, serial: string, opts: { wait: boolean; timeout: string }) => {
        const wait = seconds(opts.timeout)
        const ticket = await rt.core.orange.bySerial.submitLocation(account, serial, ctx())
        rt.err(`submitted ticket ${ticket.ticketNumber}: location status of ${serial}`)
        if (!opts.wait) return printTicket(rt, ticket)
        const code = await waitAndReport(rt, ticket, wait)
        const final = await rt.core.orange.ticket(ticket.id)
        if (final.location && !rt.json) printRecord(rt, final.location, 'location.')
        return code
      }),
    )
}
