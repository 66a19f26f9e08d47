/**
 * The Fabric peer's keys and certificates, made with openssl at test time (never in the repository): a TLS CA and the
 * peer's localhost server certificate; the organisation's MSP root CA, the peer's signing identity and client
 * identities it issues; and a second, unrelated CA whose identities the channel does not know. Fabric identities are
 * X.509 certificates with ECDSA P-256 keys (docs/wire/ledger.md §1.5).
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export { opensslMissing } from '../smtp/smtp.peer'

const run = promisify(execFile)

export interface Identity {
  cert: string
  key: string
}

export interface FabricPki {
  /** Trusted by the client for the peer's TLS certificate. */
  tlsCa: string
  tls: Identity
  /** The MSP's root CA: the channel's members are the identities it issued. */
  orgCa: string
  /** The peer's own signing identity (endorsements). */
  peer: Identity
  /** A client identity of the organisation. */
  user: Identity
  /** An identity from a CA the channel does not know. */
  stranger: Identity
  /** Issues another client identity of the organisation. */
  issue(name: string): Promise<Identity>
  cleanup(): Promise<void>
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

export async function makeFabricPki(): Promise<FabricPki> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-fabric-pki-'))
  const p = (name: string) => join(dir, name)
  const ca = async (name: string, cn: string) => {
    await run('openssl', [
      'req',
      '-x509',
      ...CURVE,
      '-days',
      '1',
      '-subj',
      `/O=${cn}/CN=${cn}`,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
    return readFile(p(`${name}.pem`), 'utf8')
  }
  const signed = async (caName: string, name: string, subject: string, ext: string): Promise<Identity> => {
    await run('openssl', ['req', ...CURVE, '-subj', subject, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`)])
    await writeFile(p(`${name}.cnf`), ext)
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${caName}.pem`),
      '-CAkey',
      p(`${caName}.key`),
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '1',
      '-out',
      p(`${name}.pem`),
      '-extfile',
      p(`${name}.cnf`),
    ])
    const [cert, key] = await Promise.all([readFile(p(`${name}.pem`), 'utf8'), readFile(p(`${name}.key`), 'utf8')])
    return { cert, key }
  }
  const client = 'keyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n'
  const [tlsCa, orgCa] = await Promise.all([ca('tls-ca', 'Fieldline Test TLS CA'), ca('org-ca', 'org1.example.com'), ca('other-ca', 'other.example.com')])
  const [tls, peer, user, stranger] = await Promise.all([
    signed('tls-ca', 'tls', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    signed('org-ca', 'peer', '/O=org1.example.com/OU=peer/CN=peer0.org1.example.com', client),
    signed('org-ca', 'user', '/O=org1.example.com/OU=client/CN=User1@org1.example.com', client),
    signed('other-ca', 'stranger', '/O=other.example.com/OU=client/CN=User1@other.example.com', client),
  ])
  let issued = 0
  return {
    tlsCa: tlsCa!,
    tls,
    orgCa: orgCa!,
    peer,
    user,
    stranger,
    issue: (name) => signed('org-ca', `issued-${++issued}`, `/O=org1.example.com/OU=client/CN=${name}`, client),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}
