/**
 * SMTP test peer: Nodemailer's smtp-server (a real SMTP implementation) on 127.0.0.1 with AUTH, and a throw-away CA
 * plus a localhost certificate made with openssl at test time (never in the repository).
 */
import { execFile, execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { AddressObject } from 'mailparser'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'

const run = promisify(execFile)

export const USER = 'mailer'
export const PASSWORD = 'Sm7p-s3cret-Pa55'

export interface Pki {
  caPem: string
  keyPem: string
  certPem: string
}

/** Why makePki cannot run here (the openssl command is missing), or null. */
export function opensslMissing(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return null
  } catch {
    return 'the openssl command is not installed'
  }
}

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it. */
export async function makePki(dir: string): Promise<Pki> {
  const p = (name: string) => join(dir, name)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Fieldline Test CA',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', p('server.key'), '-out', p('server.csr')])
  await writeFile(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p('server.pem'), '-extfile', p('ext.cnf')])
  const [caPem, keyPem, certPem] = await Promise.all([readFile(p('ca.pem'), 'utf8'), readFile(p('server.key'), 'utf8'), readFile(p('server.pem'), 'utf8')])
  return { caPem, keyPem, certPem }
}

export interface Received {
  from: string
  to: string[]
  secure: boolean
  user: string | undefined
  raw: Buffer
}

export interface SmtpPeer {
  port: number
  received: Received[]
  connections: number
  /** AUTH attempts, right or wrong: a password must never reach a server before TLS. */
  authAttempts: number
  /**
   * When true, a message is taken whole (it is in `received`) and the server's reply to it withheld: the mail has
   * left the client, which does not know it yet. The reply never comes; the connection ends with the client.
   */
  hold: boolean
  close(): Promise<void>
}

export async function startSmtp(options: Partial<SMTPServerOptions>): Promise<SmtpPeer> {
  const peer: SmtpPeer = { port: 0, received: [], connections: 0, authAttempts: 0, hold: false, close: async () => undefined }
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    ...options,
    onConnect(_session, callback) {
      peer.connections++
      callback()
    },
    onAuth(auth, _session, callback) {
      peer.authAttempts++
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username })
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        peer.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks),
        })
        if (!peer.hold) callback()
      })
    },
  })
  server.on('error', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  peer.port = (server.server.address() as AddressInfo).port
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return peer
}

/** The first address of a parsed header (mailparser gives one object or a list of them). */
export function firstAddress(value: AddressObject | AddressObject[] | undefined): { address?: string | undefined; name: string } | undefined {
  const list = Array.isArray(value) ? value : value ? [value] : []
  return list[0]?.value[0]
}
