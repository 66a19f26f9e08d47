/**
 * `fieldline ledger …`: the ledger room without the UI, through the same channels.
 *
 * - `status`: the forwarder, the queue counts, and each target's network, height, health and signer.
 * - `submit ROUTE --sample FILE [--dry-run] [--event-key KEY]`: a sample event through a route; with --dry-run only the
 *   resolved arguments, the encoding and the dry run (exit 1 when the dry run fails); without it the event is queued
 *   (audited) and the command waits until it is committed or failed (exit 0 / 1).
 * - `tx ID`, `asset ID` (`--target` when there are several targets).
 * - `run [--platform PROFILE]`: the headless forwarder until SIGTERM/SIGINT; queued events are kept for the next start.
 * Signer keys come from the vault (`fieldline` keychain entries the desktop app wrote); there is no environment variable
 * for them, so a key is never in a process's environment or a shell history.
 */
import { countText } from '../../../src-shared/models/count-text'
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ForwardItem, Preview } from '../../../src-shared/models/ledger'
import { cannotReadError } from '../file-problems'
import { CliError, EXIT, type Runtime, type WithRuntime } from '../runtime'
import { signals } from '../stop-signals'
import { waitFinal } from './ledger-wait'

async function readSample(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (e) {
    throw new CliError(`fieldline: ${cannotReadError(file, e)}`, EXIT.usage)
  }
}

async function targetOf(rt: Runtime, given: string | undefined): Promise<string> {
  if (given) return given
  const { items } = await rt.call('ledger:targets', {})
  if (items.length === 1) return items[0]!.id
  throw new CliError(items.length === 0 ? 'fieldline: no ledger target yet' : `fieldline: several ledger targets; give --target (${items.map((t) => t.id).join(', ')})`, EXIT.usage)
}

function previewLines(p: Preview): string[] {
  const rows = p.args.map((a) => `  ${a.parameter} (${a.type}) = ${a.value ?? `error ${a.error?.name}: ${a.error?.message}`}`)
  const dry =
    p.dryRun === null
      ? []
      : p.dryRun.ok
        ? [`dry run: ok${p.dryRun.result === null ? ' (the call returns no value)' : ` ${p.dryRun.result}`}`]
        : [`dry run: ${p.dryRun.error.name}: ${p.dryRun.error.message}`]
  return ['arguments:', ...rows, ...(p.encoded ? [`encoded: ${p.encoded}`] : []), ...dry]
}

const itemLine = (i: ForwardItem) =>
  `${i.eventKey}\t${i.state}${i.txId ? `\t${i.txId}` : ''}${i.block ? `\tblock ${i.block}` : ''}${i.lastError ? `\t${i.lastError.name}: ${i.lastError.message}` : ''}`

export function registerLedger(program: Command, withRuntime: WithRuntime): void {
  const ledger = program.command('ledger').description('forward device events to a blockchain and read the ledger')

  ledger
    .command('status')
    .description('the forwarder, the forward queue and each target')
    .action(
      withRuntime(async (rt) => {
        const status = await rt.call('ledger:status', {})
        const { items } = await rt.call('ledger:targets', {})
        const heads = await Promise.all(
          items.map(async (t) => ({ target: t, head: await rt.call('ledger:head', { targetId: t.id }).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) })) })),
        )
        if (rt.json) return rt.out(JSON.stringify({ ...status, targets: heads }))
        rt.out(
          `forwarder ${status.running ? 'running' : 'stopped'}; queue: ${Object.entries(status.counts)
            .map(([k, v]) => `${countText(v)} ${k}`)
            .join(', ')}`,
        )
        for (const { target, head } of heads) {
          if ('error' in head) rt.out(`${target.id}\t${target.settings.kind}\t${head.error}`)
          else
            rt.out(
              `${target.id}\t${target.settings.kind} ${head.network}\theight ${head.height ?? 'unknown'}\t${head.healthy ? 'healthy' : 'unreachable'}${head.signer ? `\tsigner ${head.signer}` : ''}${head.balance ? ` balance ${head.balance} wei` : ''}`,
            )
        }
      }),
    )

  ledger
    .command('submit <route>')
    .description('send a sample event through a route (queued once, then waited for), or only preview it with --dry-run')
    .requiredOption('--sample <file>', 'the device event as JSON')
    .option('--dry-run', 'resolve, encode and dry-run only; nothing is submitted')
    .option('--event-key <key>', 'the idempotency key (default: a new one)')
    .action((route: string, opts: { sample: string; dryRun?: boolean; eventKey?: string }) =>
      withRuntime(async (rt) => {
        const sample = await readSample(opts.sample)
        if (opts.dryRun) {
          const preview = await rt.call('ledger:preview', { route, sample, dryRun: true })
          if (rt.json) rt.out(JSON.stringify(preview))
          else for (const line of previewLines(preview)) rt.out(line)
          return preview.dryRun?.ok ? EXIT.ok : EXIT.failed
        }
        const item = await rt.call('ledger:submit', { routeId: route, sample, ...(opts.eventKey ? { eventKey: opts.eventKey } : {}) })
        const final = await waitFinal(rt, item)
        rt.out(rt.json ? JSON.stringify(final) : itemLine(final))
        return final.state === 'committed' ? EXIT.ok : EXIT.failed
      })(),
    )

  ledger
    .command('tx <id>')
    .description("a transaction's block, function, decoded arguments, events and status")
    .option('--target <id>', 'the ledger target (default: the only one)')
    .action((id: string, opts: { target?: string }) =>
      withRuntime(async (rt) => {
        const tx = await rt.call('ledger:tx', { targetId: await targetOf(rt, opts.target), txId: id })
        if (rt.json) return rt.out(JSON.stringify(tx))
        rt.out(`${tx.id}\t${tx.status}${tx.block ? `\tblock ${tx.block}` : ''}${tx.gasUsed ? `\tgas ${tx.gasUsed}` : ''}`)
        rt.out(`${tx.function ?? '(not a call of this contract)'}(${tx.args.map((a) => `${a.parameter}=${a.value}`).join(', ')})`)
        for (const e of tx.events) rt.out(`  event ${e.name} ${JSON.stringify(e.args)}`)
      })(),
    )

  ledger
    .command('asset <id>')
    .description("an asset's state (readAsset) and its history from the contract's events")
    .option('--target <id>', 'the ledger target (default: the only one)')
    .action((id: string, opts: { target?: string }) =>
      withRuntime(async (rt) => {
        const asset = await rt.call('ledger:asset', { targetId: await targetOf(rt, opts.target), assetId: id })
        if (rt.json) return rt.out(JSON.stringify(asset))
        rt.out(asset.state ? JSON.stringify(asset.state) : '(no state)')
        for (const h of asset.history) rt.out(`  block ${h.block}\t${h.name}\t${h.txId}\t${JSON.stringify(h.args)}`)
      })(),
    )

  ledger
    .command('run')
    .description('forward device events from the platform link until SIGTERM/SIGINT')
    .option('--platform <profile>', 'the platform (MQTT) profile (default: the default one)')
    .action((opts: { platform?: string }) =>
      withRuntime(async (rt) => {
        const stop = signals()
        const status = await rt.core.ledger.run(opts.platform)
        // A link that cannot even be opened (no platform profile, one without a client ID) will forward nothing however
        // long the command waits, and a service manager would see a forwarder running: say why, and end as a
        // configuration that cannot work (2), which restarting will not fix. A subscription the broker refuses later is
        // said at the stop, and ends the command with 1.
        if (status.lastError) {
          throw new CliError(`fieldline: the ledger forwarder cannot start: ${status.lastError.message}`, EXIT.usage)
        }
        rt.err(`${new Date().toISOString()} ledger forwarder running on platform profile ${status.platformProfile}`)
        await stop
        const refused = (await rt.core.ledger.status()).lastError
        if (refused) rt.err(`${new Date().toISOString()} ledger forwarder was not subscribed: ${refused.message}`)
        const counts = rt.core.ledger.counts()
        rt.err(
          `${new Date().toISOString()} ledger forwarder stopped: ${Object.entries(counts)
            .map(([k, v]) => `${countText(v)} ${k}`)
            .join(', ')} (open events are kept for the next start)`,
        )
        return refused ? EXIT.failed : EXIT.ok
      })(),
    )
}
