import { countOf } from '../../../src-shared/models/count-text'
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import { trashIdSchema, type TrashEntry } from '../../../src-shared/models/trash'
import { CliError, EXIT, type WithRuntime } from '../runtime'

/** One entry, tab-separated; its purge date is to come ("purged <date>" read as if it were gone already). */
function line(e: TrashEntry): string {
  return `${e.id}\t${e.item}\t${e.target}\t${e.deletedAt}\t${e.deletedBy}\tkept until ${e.purgeAt}${e.label ? `\t${e.label}` : ''}`
}

/** Asks on the terminal; without one, emptying needs --yes (a script must say so, not hang on a prompt). */
async function confirmed(count: number): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError('fieldline: trash empty deletes for good: pass --yes to confirm (no terminal to ask on)', EXIT.usage)
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`Delete ${countOf(count, 'item')} for good, with the stored secrets of deleted profiles? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * The trash from the command line, through the same channels as the Trash view: what deleting a device, profile,
 * package, invitation or alert rule kept for 30 days; restoring one; emptying it (asked once, or --yes).
 */
export function registerTrash(program: Command, withRuntime: WithRuntime): void {
  const trash = program.command('trash').description('deleted devices, profiles, packages, invitations and alert rules, kept 30 days')
  trash
    .command('list')
    .description('what is in the trash, newest first')
    .action(
      withRuntime(async (rt) => {
        const { items } = await rt.call('trash:list', {})
        if (rt.json) return rt.out(JSON.stringify(items))
        // Said on stderr, so that a script reading the rows still reads none.
        if (items.length === 0) rt.err('fieldline: the trash is empty')
        for (const e of items) rt.out(line(e))
      }),
    )
  trash
    .command('restore <id>')
    .description('put a deleted item back as it was')
    .action(
      withRuntime(async (rt, id: string) => {
        // Said in the command's terms, not as the core's "Invalid input for trash:restore: id: …".
        if (!trashIdSchema.safeParse(id).success) throw new CliError(`fieldline: "${id.slice(0, 40)}" is not a trash entry id (16 letters a–f and digits, as \`trash list\` shows it)`, EXIT.usage)
        const { restored } = await rt.call('trash:restore', { id })
        rt.out(rt.json ? JSON.stringify(restored) : `restored ${restored.item} ${restored.target}`)
      }),
    )
  trash
    .command('empty')
    .description('delete everything in the trash for good')
    .option('--yes', 'do not ask')
    .action(
      withRuntime(async (rt, opts: { yes?: boolean }) => {
        const { items } = await rt.call('trash:list', {})
        if (items.length > 0 && opts.yes !== true && !(await confirmed(items.length))) {
          rt.err('nothing deleted')
          return EXIT.failed
        }
        const { purged } = await rt.call('trash:empty', {})
        rt.out(rt.json ? JSON.stringify({ purged }) : `deleted ${countOf(purged, 'item')} for good`)
      }),
    )
}
