import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'
import { tempDir } from '../helpers/core'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

describe('fieldline mail / team (SendGrid from the environment)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let peer: SendGridPeer
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], {
        env: {
          ...process.env,
          FIELDLINE_SENDGRID_API_KEY: DEFAULT_API_KEY,
          FIELDLINE_SENDGRID_URL: peer.url,
          FIELDLINE_MAIL_FROM: 'Plant Admin <admin@example.com>',
          FIELDLINE_ORGANISATION: 'North Plant',
          ...env,
        },
      })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('close', (code) => resolve({ code, out, err }))
    })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    peer = await startSendGridPeer()
  })
  afterAll(async () => {
    await peer.close()
    await cleanup()
  })

  it('verifies without delivering, sends a test message, and refuses a bad key without printing it', async () => {
    expect(await run(['mail', 'verify'])).toMatchObject({ code: 0 })
    expect(peer.messages()).toHaveLength(0)
    expect((await run(['mail', 'test', '--to', 'ops@example.com'])).code).toBe(0)
    expect(peer.messages()).toHaveLength(1)
    const bad = await run(['mail', 'verify'], { FIELDLINE_SENDGRID_API_KEY: 'SG.wrong-key-123' })
    expect(bad.code).toBe(1)
    expect(bad.err).not.toContain('SG.wrong-key-123')
  })

  it('invites, lists, resends and revokes; refuses header injection', async () => {
    // Cold trial: no invitation listed nothing at all; it says so on stderr, stdout stays empty for scripts.
    expect(await run(['team', 'list'])).toMatchObject({ code: 0, out: '', err: 'fieldline: no invitation (team invite sends one)\n' })
    const invited = await run(['team', 'invite', '--email', 'op@example.com', '--name', 'Olga', '--role', 'operator', '--lang', 'fr'])
    expect(invited.code).toBe(0)
    const id = invited.out.split('\t')[0]!
    expect(invited.out).toContain('\tsent\toperator\tfr\tOlga <op@example.com>')
    expect(invited.err).toMatch(/^fieldline: no invitation code: Team sync is not set up/)
    expect((await run(['team', 'list'])).out).toContain(id)
    // A second invitation to the same address is refused by the core: nothing is said of its code first.
    const twice = await run(['team', 'invite', '--email', 'OP@example.com', '--name', 'Olga', '--role', 'operator'])
    expect(twice).toMatchObject({ code: 2, out: '' })
    expect(twice.err).toMatch(/^fieldline: OP@example.com already has an invitation \([0-9a-f]+, sent\); resend or revoke it\n$/)
    expect((await run(['team', 'resend', id])).code).toBe(0)
    expect((await run(['team', 'revoke', id])).out).toContain('\trevoked\t')
    expect((await run(['team', 'resend', id])).code).toBe(2)
    const injected = await run(['team', 'invite', '--email', 'x@example.com', '--name', 'Eve\r\nBcc: a@b.c', '--role', 'viewer'])
    expect(injected).toMatchObject({ code: 2, err: expect.stringContaining('line break') })
    // Refused before anything is said of its code: a word on the code first read as if it were going out.
    expect(injected.err).not.toContain('no invitation code')
    expect((await run(['team', 'invite', '--email', 'y@example.com', '--name', 'Y', '--role', 'boss'])).code).toBe(2)
    // A user name with an invitation that can carry no code (no team sync here): refused with the reason, nothing said of
    // a code first, nothing sent.
    const user = await run(['team', 'invite', '--email', 'u@example.com', '--name', 'U', '--role', 'viewer', '--user', 'u'])
    expect(user).toMatchObject({ code: 2, out: '' })
    expect(user.err).toMatch(/^fieldline: --user cannot be given: the invitation would carry no code, so no user can be made on the team server \(Team sync is not set up.*\)\n$/)
    // Named as typed: the field's own name ("language must be one of en, fr") is not an option the operator has.
    expect(await run(['team', 'invite', '--email', 'y@example.com', '--name', 'Y', '--role', 'viewer', '--lang', 'de'])).toEqual({
      code: 2,
      out: '',
      err: 'fieldline: --lang takes en or fr (got "de")\n',
    })
  })
})
