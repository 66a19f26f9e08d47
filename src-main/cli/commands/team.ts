import type { Command } from 'commander'
import { channels } from '../../../src-shared/contract'
import { MAIL_LANGUAGES, type Invitation } from '../../../src-shared/models/mail'
import { parseOrThrow } from '../../core/common/validation'
import { CliError, EXIT, type WithRuntime } from '../runtime'

function line(i: Invitation): string {
  const joined = i.state === 'joined' && i.joinedAt ? `\tjoined ${i.joinedAt}` : ''
  // Said in the line itself: a script or an operator reading `team list` must not take it for pending or sent.
  const unknown = i.state === 'unknown' ? `\tsend cut off at ${i.unknownSince ?? '?'}: the mail may have left (team resend ${i.id}, or team dismiss ${i.id} if it arrived)` : ''
  return `${i.id}\t${i.state}\t${i.role}\t${i.language}\t${i.name} <${i.email}>${i.account ? `\tuser ${i.account.user}` : ''}${joined}${unknown}${i.lastError ? `\t${i.lastError.message}` : ''}`
}

/**
 * Operator invitations from the command line, through the same IPC channels (and so the same validation and audit)
 * as the UI. They are sent with the email configuration `fieldline mail` checks (mail.ts); with team sync set up as a
 * CouchDB server admin, each carries a code that joins the team server (`fieldline sync join`).
 */
export function registerTeam(program: Command, withRuntime: WithRuntime): void {
  const team = program.command('team').description('operator invitations')
  team
    .command('invite')
    .description('invite an operator by email')
    .requiredOption('--email <address>', 'their email address')
    .requiredOption('--name <name>', 'their name')
    .requiredOption('--role <role>', 'administrator, operator or viewer')
    .option('--lang <language>', 'invitation language, en or fr', 'en')
    .option('--user <name>', 'their CouchDB user name on the team server, for an invitation with a code (default: from the email address)')
    .action(
      withRuntime(async (rt, opts: { email: string; name: string; role: string; lang: string; user?: string }) => {
        // Checked first: an invitation refused for its name or address must not be preceded by a word on its code, which
        // read as if it were going out (cold trial).
        // The option is --lang, the field `language`: the field's refusal said "language must be one of en, fr" (cold trial).
        if (!(MAIL_LANGUAGES as readonly string[]).includes(opts.lang)) throw new CliError(`fieldline: --lang takes ${MAIL_LANGUAGES.join(' or ')} (got "${opts.lang}")`, EXIT.usage)
        const input = parseOrThrow(
          channels['team:invite'].input,
          {
            email: opts.email,
            name: opts.name,
            role: opts.role,
            language: opts.lang,
            ...(opts.user === undefined ? {} : { user: opts.user }),
          },
          'input for team:invite',
        )
        const check = await rt.call('team:inviteCheck', {})
        // A user name makes a user on the team server, which only an invitation with a code can: refused with the reason,
        // not after a word on the code as if the invitation were going out (cold trial: "--user needs an invitation code").
        if (!check.codes && input.user !== undefined) {
          throw new CliError(
            `fieldline: --user cannot be given: the invitation would carry no code, so no user can be made on the team server (${check.reason?.message ?? 'no reason given'})`,
            EXIT.usage,
          )
        }
        const i = await rt.call('team:invite', input)
        // Said once the invitation exists (it went out, or failed and waits for a resend): one without a code cannot get
        // one afterwards. Said before, it preceded refusals the core alone can make (a duplicate, no organisation) as if
        // the invitation were going out (cold trial).
        if (!check.codes && check.reason) rt.err(`fieldline: no invitation code: ${check.reason.message}`)
        rt.out(rt.json ? JSON.stringify(i) : line(i))
        return i.state === 'sent' ? 0 : 1
      }),
    )
  team
    .command('list')
    .description('invitations and their state (joined: the invitee joined the team server with the code, as the server says; unknown: the send was cut off, the mail may have left)')
    .action(
      withRuntime(async (rt) => {
        const { items } = await rt.call('team:list', {})
        if (rt.json) return rt.out(JSON.stringify(items))
        // On stderr, as every list says it has none: stdout stays empty for a script.
        if (items.length === 0) rt.err('fieldline: no invitation (team invite sends one)')
        for (const i of items) rt.out(line(i))
      }),
    )
  for (const [verb, channel, text] of [
    ['resend', 'team:resend', 'send an invitation again'],
    ['revoke', 'team:revoke', 'revoke an invitation'],
    ['dismiss', 'team:dismiss', 'take an invitation whose outcome is unknown as sent (it arrived), without sending it again'],
  ] as const) {
    team
      .command(`${verb} <id>`)
      .description(text)
      .action(
        withRuntime(async (rt, id: string) => {
          const i = await rt.call(channel, { id })
          rt.out(rt.json ? JSON.stringify(i) : line(i))
          return i.state === 'failed' ? 1 : 0
        }),
      )
  }
  team
    .command('remove <id>')
    .description('delete an invitation into the trash (`trash restore` brings it back)')
    .action(
      withRuntime(async (rt, id: string) => {
        const { trashId } = await rt.call('team:remove', { id })
        rt.out(rt.json ? JSON.stringify({ removed: true, id, trashId }) : `removed invitation ${id} (trash ${trashId})`)
      }),
    )
}
