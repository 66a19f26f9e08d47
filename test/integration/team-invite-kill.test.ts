/**
 * An invitation whose `fieldline team invite` is killed (SIGKILL) while the mail is on its way: the SMTP peer
 * (smtp-server) has taken the message whole and holds its reply, so the mail has left and the killed process never
 * learnt it. The next open of the workspace must say so — state 'unknown', audited — and must not send it again by
 * itself; the operator then resends it, or dismisses the doubt (takes it as sent).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { invitationSchema, type Invitation } from '../../src-shared/models/mail'
import type { AuditEntry } from '../../src-shared/contract'
import { killCommands, runCli, startCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'
import { startSmtp, type SmtpPeer } from '../peers/smtp/smtp.peer'

let smtp: SmtpPeer
let dir: { dir: string; cleanup: () => Promise<void> }

/** The email configuration from the environment, as a script gives it (README: `mail` and `team`). */
const mailEnv = (): Record<string, string> => ({
  FIELDLINE_SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`,
  FIELDLINE_MAIL_FROM: 'ada@example.com',
  FIELDLINE_ORGANISATION: 'Walk Co',
})

/** This process's own FIELDLINE_ variables (a developer's shell) are not handed on: the test sets the ones it means. */
const inherited = (name: string): boolean => !name.startsWith('FIELDLINE_') || name === 'FIELDLINE_STRICT'

beforeAll(async () => {
  // Plain SMTP on loopback (smtp+insecure://): this test is about the send's outcome, not its transport.
  smtp = await startSmtp({ secure: false, authOptional: true, disabledCommands: ['STARTTLS'] })
})
afterAll(async () => smtp?.close())
beforeEach(async () => {
  dir = await tempDir('fieldline-invite-kill-')
  smtp.received.length = 0
})
afterEach(async () => {
  killCommands()
  smtp.hold = false
  await dir.cleanup()
})

async function list(): Promise<Invitation[]> {
  const run = await runCli(dir.dir, ['team', 'list', '--json'], mailEnv())
  expect(run.err).toBe('')
  return invitationSchema.array().parse(JSON.parse(run.out))
}

/** The trail's invitation entries, read by a core of this process (the CLI has no audit command). */
async function trail(): Promise<AuditEntry[]> {
  const core = await testCore(dir.dir)
  try {
    return (await core.call('audit:list', { query: 'invitation.', offset: 0, limit: 50 })).items
  } finally {
    await core.close()
  }
}

/** Invites Tess and kills the command the moment the peer has her mail whole (its reply withheld). */
async function inviteKilledMidSend(): Promise<void> {
  smtp.hold = true
  const cli = startCli(['--data-dir', dir.dir, 'team', 'invite', '--email', 'tess@example.org', '--name', 'Tess', '--role', 'operator'], mailEnv(), inherited)
  const received = new Promise<void>((resolve, reject) => {
    const look = (): void => {
      if (smtp.received.length > 0) resolve()
      else if (cli.child.exitCode !== null) reject(new Error(`the invite ended (${cli.child.exitCode}) before its mail arrived: ${cli.stderr()}`))
      else setTimeout(look, 20)
    }
    look()
  })
  await received
  cli.child.kill('SIGKILL')
  await cli.exit
  smtp.hold = false
}

describe('an invitation killed while its mail is on the way', () => {
  it('is of unknown outcome at the next open, audited, and not sent again by itself', { timeout: 120_000 }, async () => {
    await inviteKilledMidSend()
    expect(smtp.received).toHaveLength(1)

    const [invitation] = await list()
    expect(invitation).toMatchObject({ email: 'tess@example.org', state: 'unknown', attempts: 0, sentAt: null })
    expect(invitation!.unknownSince).toBe(invitation!.createdAt)
    // Opened again (the list above was an open too): the mail is still not sent a second time.
    expect(smtp.received).toHaveLength(1)

    const text = await runCli(dir.dir, ['team', 'list'], mailEnv())
    expect(text.out).toContain(`${invitation!.id}\tunknown\t`)
    expect(text.out).toContain('the mail may have left')

    const interrupted = (await trail()).filter((e) => e.action === 'invitation.interrupted')
    expect(interrupted).toHaveLength(1)
    expect(interrupted[0]).toMatchObject({ actor: 'fieldline', outcome: 'unknown', target: `invitation/${invitation!.id}`, before: { state: 'pending' }, after: { state: 'unknown' } })
  })

  it('is sent again only when the operator resends it', { timeout: 120_000 }, async () => {
    await inviteKilledMidSend()
    const [cut] = await list()
    const resent = await runCli(dir.dir, ['team', 'resend', cut!.id, '--json'], mailEnv())
    expect(resent.code).toBe(0)
    expect(invitationSchema.parse(JSON.parse(resent.out))).toMatchObject({ state: 'sent', unknownSince: null, attempts: 1 })
    expect(smtp.received).toHaveLength(2)
    expect((await list())[0]).toMatchObject({ state: 'sent' })
  })

  it('is taken as sent, without a mail, when the operator dismisses it; other states refuse a dismissal unchanged', { timeout: 120_000 }, async () => {
    await inviteKilledMidSend()
    const [cut] = await list()
    const dismissed = await runCli(dir.dir, ['team', 'dismiss', cut!.id, '--json'], mailEnv())
    expect(dismissed.code).toBe(0)
    expect(invitationSchema.parse(JSON.parse(dismissed.out))).toMatchObject({ state: 'sent', sentAt: cut!.unknownSince, unknownSince: null })
    expect(smtp.received).toHaveLength(1)
    expect((await trail()).filter((e) => e.action === 'invitation.dismiss')).toMatchObject([{ outcome: 'ok', before: { state: 'unknown' }, after: { state: 'sent' } }])

    const again = await runCli(dir.dir, ['team', 'dismiss', cut!.id], mailEnv())
    expect(again.code).not.toBe(0)
    expect(again.err).toContain('nothing to dismiss')
    expect((await list())[0]).toMatchObject({ state: 'sent', updatedAt: invitationSchema.parse(JSON.parse(dismissed.out)).updatedAt })
  })
})
