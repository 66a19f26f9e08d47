/**
 * `fieldline sync …`: team sync from the command line, through the same channels (validation, audit) as the UI.
 *
 * - `setup [--url URL --db NAME …] [--offline]`: saves the settings when given (the password or API key from
 *   FIELDLINE_SYNC_PASSWORD or FIELDLINE_SYNC_API_KEY) once the server has taken them (with --offline also when it cannot
 *   be reached), then creates the database, its `_security` and validation (idempotent).
 * - `start [--once]`: the live sync in the foreground, one stderr line per state change, until SIGINT or SIGTERM (exit
 *   0) or the server refuses us (exit 1); with `--once`, until both sides are first up to date (exit 0).
 * - `stop`: turns off starting with the workspace (the desktop app and `serve`); a `start` in another terminal is
 *   stopped there.
 * - `join CODE [--replace]`: joins the team an invitation code names (`-` reads the code from stdin, which keeps it out
 *   of the shell's history and the process list); spends the code.
 * - `status`, `conflicts [--limit N]` (and the profiles of one kind that share a name), `resolve ID --keep mine|theirs|REV`.
 * - `discard ID [--yes]`: this computer's unsent change to a refused document goes (asked first, or --yes).
 */
import { countOf, countText } from '../../../src-shared/models/count-text'
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import { conflictName, MAX_INVITATION_CODE, SYNC_SHARES, type SyncShare, type SyncStatus } from '../../../src-shared/models/sync'
import { progressLine } from '../export-progress'
import { profileNamesakes } from '../../../src-shared/models/profile-rules'
import type { ErrorInfo } from '../../../src-shared/contract'
import { CliError, EXIT, type Runtime, type WithRuntime } from '../runtime'
import { signals } from '../stop-signals'

interface SetupOptions {
  url?: string
  db?: string
  user?: string
  auth?: string
  iamUrl?: string
  share?: string
  autoStart?: boolean
  offline?: boolean
}

function shares(text: string): SyncShare[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = list.filter((s) => !(SYNC_SHARES as readonly string[]).includes(s))
  if (unknown.length > 0) throw new CliError(`fieldline: --share takes ${SYNC_SHARES.join(', ')} (not ${unknown.join(', ')})`, EXIT.usage)
  return list as SyncShare[]
}

/**
 * Saves the settings given, once the server has taken them (the core checks it first: nothing is saved when it refuses
 * them). Returns why the server was not checked when --offline saved them without its answer, else null.
 */
async function saveFromOptions(rt: Runtime, opts: SetupOptions): Promise<ErrorInfo | null> {
  const given = opts.url !== undefined || opts.db !== undefined
  if (!given) {
    if (opts.offline) throw new CliError('fieldline: --offline goes with --url and --db (it saves settings the server cannot be asked about)', EXIT.usage)
    return null
  }
  if (!opts.url || !opts.db) throw new CliError('fieldline: --url and --db go together', EXIT.usage)
  if (opts.auth !== undefined && opts.auth !== 'basic' && opts.auth !== 'iam') throw new CliError('fieldline: --auth must be basic or iam', EXIT.usage)
  const current = await rt.call('sync:getSettings', {})
  const password = process.env.FIELDLINE_SYNC_PASSWORD
  const apiKey = process.env.FIELDLINE_SYNC_API_KEY
  const saved = await rt.call('sync:saveSettings', {
    url: opts.url,
    database: opts.db,
    auth: (opts.auth as 'basic' | 'iam' | undefined) ?? (apiKey && !password ? 'iam' : current.configured ? current.auth : 'basic'),
    username: opts.user ?? current.username,
    ...(opts.iamUrl ? { iamUrl: opts.iamUrl } : current.configured ? { iamUrl: current.iamUrl } : {}),
    ...(opts.share !== undefined ? { shares: shares(opts.share) } : current.configured ? { shares: current.shares } : {}),
    autoStart: opts.autoStart ?? current.autoStart,
    secrets: { ...(password ? { password } : {}), ...(apiKey ? { apiKey } : {}) },
    offline: opts.offline ?? false,
  })
  return saved.unchecked
}

/** Asks on the terminal; without one, discarding needs --yes (a script must say so, not hang on a prompt). */
async function discardConfirmed(id: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError("fieldline: sync discard drops this computer's change for good: pass --yes to confirm (no terminal to ask on)", EXIT.usage)
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`Discard this computer's unsent change to ${id} (the server's version stays, or none)? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * A revision as CouchDB writes one (`2-` then hex). Anything else (`--keep both`) is bad usage, told as such, before the
 * document is even looked up: otherwise a document without a conflict answered first, and a typo exited 1.
 */
function revision(text: string): string {
  if (!/^\d+-[0-9a-f]+$/i.test(text)) throw new CliError(`fieldline: --keep takes mine, theirs or a revision from 'sync conflicts', such as 2-9f1c… (got "${text}")`, EXIT.usage)
  return text
}

/** The code piped in (`sync join -`): at most a little over the longest code, so that a wrong file is refused, not read whole. */
async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (text.length > MAX_INVITATION_CODE) break
  }
  return text
}

/**
 * How a computer without settings gets them: the code from an invitation, or a server of one's own. "not set up" is the
 * app's word for it (Settings → Team sync), so an operator reads one name for one state in the app and in a terminal.
 */
const NOT_SET_UP = "state        not set up (join your team with the code from your invitation email, 'fieldline sync join CODE', or choose a server with 'fieldline sync setup --url URL --db NAME')"

/** The status as `sync status` and `sync start` print it; counts as the CLI writes them (cold trial: "pushed 177049"). */
function firstSyncText(first: NonNullable<SyncStatus['firstSync']>): string {
  const left = first.secondsLeft === null ? '' : `, about ${countText(first.secondsLeft)} s left`
  const { docs, total, batches } = first
  const batchText = `${countText(batches)} ${batches === 1 ? 'batch' : 'batches'}`
  // The server's total unknown (no answer yet, or the credentials refused): not "0 of 0 documents".
  if (total !== null) return `${countText(docs)} of ${countOf(total, 'document')} in ${batchText}${left}`
  return docs === 0 ? 'reaching the server' : `${countOf(docs, 'document')} so far in ${batchText}`
}

/** How far a sync that is under way has got, for `sync start`'s progress line. */
export function syncProgressText(s: SyncStatus): string {
  if (s.firstSync) return `fieldline: first sync: ${firstSyncText(s.firstSync)}`
  const way = (done: number, pending: number | null, verb: string) => `${countText(done)} ${verb}${pending ? ` (${countText(pending)} pending)` : ''}`
  return `fieldline: sync: ${way(s.push.docs, s.push.pending, 'pushed')}, ${way(s.pull.docs, s.pull.pending, 'pulled')}`
}

export function statusLines(s: SyncStatus): string[] {
  const lines = [
    s.configured ? `state        ${s.state}${s.reason ? ` (${s.reason.message})` : ''}` : NOT_SET_UP,
    `role         ${s.role ? `${s.role} (as of ${s.roleAsOf ?? '?'})` : '—'}`,
    `last sync    ${s.lastSyncAt ?? 'never'}`,
  ]
  lines.push(`pushed       ${countText(s.push.docs)}${s.push.pending === null ? '' : ` (${countText(s.push.pending)} pending)`}`)
  lines.push(`pulled       ${countText(s.pull.docs)}${s.pull.pending === null ? '' : ` (${countText(s.pull.pending)} pending)`}`)
  if (s.firstSync) lines.push(`first sync   ${firstSyncText(s.firstSync)}`)
  if (s.refused.length > 0) lines.push(`read-only    ${s.refused.join(', ')} (the server refuses this role's changes)`)
  lines.push(`refused      ${countText(s.deniedTotal)}`)
  for (const d of s.denied) lines.push(`  ${d.id}\t${d.at}\t${d.reason}`)
  return lines
}

export function registerSync(program: Command, withRuntime: WithRuntime): void {
  const sync = program.command('sync').description("team sync: the workspace replicated live with the team's CouchDB or Cloudant database")
  sync
    .command('setup')
    .description('create the team database, its _security (roles) and validation; idempotent')
    .option('--url <url>', 'server URL (https://, or http:// to this computer)')
    .option('--db <name>', 'database name')
    .option('--user <name>', 'CouchDB user name (password from FIELDLINE_SYNC_PASSWORD)')
    .option('--auth <kind>', 'basic (user and password) or iam (Cloudant, API key from FIELDLINE_SYNC_API_KEY)')
    .option('--iam-url <url>', 'IBM Cloud IAM URL (default https://iam.cloud.ibm.com)')
    .option('--share <groups>', `comma-separated: ${SYNC_SHARES.join(', ')}`)
    .option('--auto-start', 'start the sync whenever the desktop app or serve opens the workspace')
    .option('--offline', 'save the settings even when the server cannot be reached (a server that answers and refuses them is never saved over)')
    .action(
      withRuntime(async (rt, opts: SetupOptions) => {
        const unchecked = await saveFromOptions(rt, opts)
        if (unchecked) {
          // The database cannot be set up without the server: said, and left for the next run.
          rt.err(`fieldline: ${unchecked.message}; run 'fieldline sync setup' again once it answers, to check the settings and set up the database`)
          if (rt.json) rt.out(JSON.stringify({ saved: true, checked: false, reason: unchecked }))
          else rt.out('settings     saved, not checked')
          return
        }
        const result = await rt.call('sync:setup', {})
        if (rt.json) return rt.out(JSON.stringify(result))
        rt.out(`database     ${result.created ? 'created' : 'exists'}`)
        rt.out(`_security    ${result.securityWritten ? 'written' : 'unchanged'}`)
        rt.out(`validation   ${result.validationWritten ? 'written' : 'unchanged'}`)
      }),
    )
  sync
    .command('join <code>')
    .description('join the team an invitation code names (- reads it from stdin); the code works once')
    .option('--replace', 'replace the team sync settings this computer already has')
    .action(
      withRuntime(async (rt, code: string, opts: { replace?: boolean }) => {
        const text = code === '-' ? await readStdin() : code
        const joined = await rt.call('sync:join', { code: text.slice(0, MAX_INVITATION_CODE + 1), replace: opts.replace ?? false })
        if (rt.json) return rt.out(JSON.stringify(joined))
        rt.out(`joined       ${joined.database} on ${joined.url}`)
        rt.out(`user         ${joined.user}`)
        rt.out(`role         ${joined.role ?? "— (the server gives this user none of the team's roles yet: ask the person who invited you)"}`)
        rt.err('start the sync with: fieldline sync start')
      }),
    )
  sync
    .command('start')
    .description('run the live sync in the foreground until SIGINT or SIGTERM')
    .option('--once', 'stop once both sides are up to date')
    .action(
      withRuntime(async (rt, opts: { once?: boolean }) => {
        let last = ''
        let settle: (code: number) => void = () => undefined
        const settled = new Promise<number>((resolve) => (settle = resolve))
        // A long sync (a first one of 30,000 devices took 10 s, a push of as many 18 s) printed "syncing" and nothing
        // more until "live": how far it has got, while it syncs, as imports and exports say theirs.
        const shown: { line: ReturnType<typeof progressLine> | null } = { line: null }
        const off = rt.core.bus.subscribe((event, payload) => {
          if (event !== 'sync:status') return
          const s = payload as SyncStatus
          const syncing = s.state === 'syncing' && (s.firstSync !== null || s.push.docs + s.pull.docs > 0)
          if (syncing) {
            shown.line ??= progressLine(process.stderr)
            shown.line(syncProgressText(s), false)
          } else if (shown.line) {
            // The last line says what the sync moved in all, not the last batch before it ended.
            shown.line(syncProgressText(s), true)
            shown.line = null
          }
          const word = `${s.state}${s.reason ? `: ${s.reason.message}` : ''}`
          if (word !== last) rt.err(`${new Date().toISOString()} sync ${word}`)
          last = word
          if (opts.once && s.state === 'live') settle(EXIT.ok)
          // The server refused us (credentials, role, no database): the sync has stopped and will not try again by
          // itself, so the foreground command ends too, with the status, rather than wait for a signal.
          if (s.state === 'error') settle(EXIT.failed)
        })
        try {
          await rt.call('sync:start', {})
          const code = await Promise.race([settled, signals().then(() => EXIT.ok)])
          const final = await rt.call('sync:stop', {})
          if (rt.json) rt.out(JSON.stringify(final))
          else for (const line of statusLines(final)) rt.out(line)
          return code
        } finally {
          off()
          shown.line?.stop()
        }
      }),
    )
  sync
    .command('stop')
    .description('do not start the sync with the workspace any more')
    .action(
      withRuntime(async (rt) => {
        const current = await rt.call('sync:getSettings', {})
        if (current.configured && current.autoStart) {
          const { configured: _c, secrets: _s, updatedAt: _u, ...settings } = current
          await rt.call('sync:saveSettings', { ...settings, autoStart: false })
        }
        await rt.call('sync:stop', {})
        rt.out('team sync will not start with the workspace')
      }),
    )
  sync
    .command('status')
    .description('state, last sync, refused documents')
    .action(
      withRuntime(async (rt) => {
        const s = await rt.call('sync:status', {})
        if (rt.json) return rt.out(JSON.stringify(s))
        for (const line of statusLines(s)) rt.out(line)
      }),
    )
  sync
    .command('conflicts')
    .description('documents edited on two computers before they synced, with every version')
    .option('--limit <n>', 'most documents listed', '100')
    .action(
      withRuntime(async (rt, opts: { limit: string }) => {
        const limit = Number(opts.limit)
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('fieldline: --limit must be 1 to 1000', EXIT.usage)
        const { items, total } = await rt.call('sync:conflicts', { limit })
        const namesakes = profileNamesakes((await rt.call('profiles:list', {})).items).map((group) => group.map(({ id, extension, name }) => ({ id, extension, name })))
        if (rt.json) return rt.out(JSON.stringify({ items, total, namesakes }))
        for (const c of items) {
          // What the operator knows the document by, then its id, which 'sync resolve' takes.
          rt.out(`${conflictName(c) ?? c.kind}\t${c.id}${c.deletedHere ? `\tdeleted here, edited by a teammate: --keep theirs keeps the edit, --keep mine deletes it again` : ''}`)
          for (const v of c.versions) rt.out(`  ${v.rev}\t${v.side}${v.winner ? '\twinner' : ''}\t${JSON.stringify(v.doc)}`)
        }
        for (const group of namesakes) {
          rt.out(`${group[0]!.extension} profiles named alike\t${group.map((p) => `${p.name.trim()} (${p.id})`).join(', ')}\trename or delete all but one (Extensions in the app)`)
        }
        rt.err(`${countOf(total, 'conflicted document')}${namesakes.length > 0 ? `; ${countOf(namesakes.length, 'name')} shared by several profiles` : ''}`)
      }),
    )
  sync
    .command('resolve <id>')
    .description('keep one version of a conflicted document and remove the others (one audited write)')
    .requiredOption('--keep <which>', "mine, theirs, or a revision (from 'sync conflicts')")
    .action(
      withRuntime(async (rt, id: string, opts: { keep: string }) => {
        const keep = opts.keep === 'mine' || opts.keep === 'theirs' ? opts.keep : { rev: revision(opts.keep) }
        const result = await rt.call('sync:resolve', { id, keep })
        rt.out(rt.json ? JSON.stringify(result) : `${result.id} kept at ${result.rev}; removed ${result.removed.join(', ')}`)
      }),
    )
  sync
    .command('discard <id>')
    .description("drop this computer's unsent change to a document the server refused (see 'sync status'): removed here when the server never had it, else the server's version again; audited")
    .option('--yes', 'do not ask')
    .action(
      withRuntime(async (rt, id: string, opts: { yes?: boolean }) => {
        if (opts.yes !== true && !(await discardConfirmed(id))) {
          rt.err('nothing discarded')
          return EXIT.failed
        }
        const result = await rt.call('sync:discard', { id })
        rt.out(rt.json ? JSON.stringify(result) : result.outcome === 'removed' ? `${result.id} removed here (the server never had it)` : `${result.id} is the server's version again`)
      }),
    )
}
