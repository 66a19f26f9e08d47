import type { Command } from 'commander'
import type { WithRuntime } from '../runtime'

/**
 * Email from the command line, through the same IPC channels (and so the same validation and audit) as the UI.
 * Email comes from the saved settings or, for scripts, from FIELDLINE_SMTP_URL / FIELDLINE_MAIL_FROM or
 * FIELDLINE_SENDGRID_API_KEY / FIELDLINE_SENDGRID_URL. Invitations are `fieldline team` (team.ts).
 */
export function registerMail(program: Command, withRuntime: WithRuntime): void {
  const mail = program.command('mail').description('email: verify the configuration, send a test message')
  mail
    .command('verify')
    .description('connect, negotiate TLS and authenticate (SMTP), or send a sandbox request (SendGrid); nothing is delivered')
    .action(
      withRuntime(async (rt) => {
        const r = await rt.call('mail:verify', {})
        rt.out(rt.json ? JSON.stringify(r) : `email verified: ${r.mode} via ${r.server}`)
      }),
    )
  mail
    .command('test')
    .description('send a short test message')
    .requiredOption('--to <address>', 'recipient')
    .option('--lang <language>', 'en or fr', 'en')
    .action(
      withRuntime(async (rt, opts: { to: string; lang: string }) => {
        const r = await rt.call('mail:sendTest', { to: opts.to, language: opts.lang as 'en' | 'fr' })
        rt.out(rt.json ? JSON.stringify(r) : `test email sent to ${opts.to}`)
      }),
    )
}
