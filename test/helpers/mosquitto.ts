/**
 * A real Debian mosquitto on 127.0.0.1 for integration tests: a generated config in a temp
 * dir, a free port, and a process that never outlives the test run (stop(), plus a kill on process exit).
 *
 * Suites call `mosquittoSkipReason()` at collection time: null when the broker is there, else the reason to skip
 * (printed loudly), and under FIELDLINE_STRICT=1 it throws so the suite fails instead.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { missingService } from './system'
import { freePort } from './ports'

export const MOSQUITTO_BIN = process.env.FIELDLINE_MOSQUITTO ?? '/usr/sbin/mosquitto'
const PASSWD_BIN = '/usr/bin/mosquitto_passwd'
const STARTUP_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000

export interface MosquittoOptions {
  /** Refuse anonymous clients; accept only this user (password file made with mosquitto_passwd). */
  auth?: { username: string; password: string }
  /** Add a TLS listener with this PEM certificate and key (tlsUrl / tlsPort). */
  tls?: { cert: string; key: string }
  /** Add a plain MQTT-over-WebSocket listener (wsUrl / wsPort). */
  websockets?: boolean
  /** Messages kept per offline persistent session (mosquitto's default is 1000; 0 = no limit). */
  maxQueuedMessages?: number
  /** Keep persistent sessions across kill() and start() (mosquitto's persistence file in the temp dir). */
  persistence?: boolean
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:<port> */
  url: string
  port: number
  tlsUrl?: string
  tlsPort?: number
  wsUrl?: string
  wsPort?: number
  /** Everything the broker wrote to stderr, across restarts (connection lines included). */
  log(): string
  /** Stops the broker and removes its temp dir. Idempotent. */
  stop(): Promise<void>
  /** Stops and starts again on the same ports (for reconnect tests). */
  restart(): Promise<void>
  /** Stops the broker but keeps its config, so `start()` brings it back on the same ports. */
  kill(): Promise<void>
  start(): Promise<void>
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Null when mosquitto can run here; otherwise the skip reason (throws under FIELDLINE_STRICT=1). */
export function mosquittoSkipReason(): string | null {
  return missingService('mosquitto', executable(MOSQUITTO_BIN) ? null : `${MOSQUITTO_BIN} not found (apt-get install mosquitto)`)
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

/** Last line of defence when a test forgets stop() or the worker exits early: no broker survives the process. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: STARTUP_TIMEOUT_MS }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr })
    })
  })
}

/**
 * A password file line. mosquitto_passwd writes the PBKDF2 form; without it, the older `$6$` form (SHA-512 of
 * password + salt), which mosquitto 2.0 still reads, is written by hand.
 */
async function writePasswordFile(path: string, username: string, password: string): Promise<void> {
  if (executable(PASSWD_BIN)) {
    const r = await run(PASSWD_BIN, ['-c', '-b', path, username, password])
    if (r.code !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`)
  } else {
    const salt = randomBytes(12)
    const hash = createHash('sha512').update(password).update(salt).digest()
    await writeFile(path, `${username}:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`)
  }
  // mosquitto warns about (and newer versions refuse) a password file others can read.
  await chmod(path, 0o600)
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    const done = await Promise.race([exited(child).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), STOP_TIMEOUT_MS))])
    if (!done) {
      child.kill('SIGKILL')
      await exited(child)
    }
  }
  live.delete(child)
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const reason = mosquittoSkipReason()
  if (reason) throw new Error(reason)
  installExitHook()

  const dir = await mkdtemp(join(tmpdir(), 'fieldline-mosquitto-'))
  const port = await freePort()
  // Started as root (CI containers), mosquitto drops to the 'mosquitto' user, which cannot read our 0700 temp
  // dir (certificate, password file). Staying the current user is harmless for a loopback test broker, and
  // mosquitto ignores the setting when not started as root.
  const lines = [`user ${userInfo().username}`, `listener ${port} 127.0.0.1`]
  let tlsPort: number | undefined
  let wsPort: number | undefined
  if (options.tls) {
    tlsPort = await freePort()
    await writeFile(join(dir, 'cert.pem'), options.tls.cert)
    await writeFile(join(dir, 'key.pem'), options.tls.key, { mode: 0o600 })
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${join(dir, 'cert.pem')}`, `keyfile ${join(dir, 'key.pem')}`)
  }
  if (options.websockets) {
    wsPort = await freePort()
    lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets')
  }
  if (options.auth) {
    const passwd = join(dir, 'passwd')
    await writePasswordFile(passwd, options.auth.username, options.auth.password)
    lines.push('allow_anonymous false', `password_file ${passwd}`)
  } else {
    lines.push('allow_anonymous true')
  }
  if (options.maxQueuedMessages !== undefined) lines.push(`max_queued_messages ${options.maxQueuedMessages}`)
  // connection_messages: one "New connection from" line per TCP connection, which tests count.
  lines.push(options.persistence ? `persistence true\npersistence_location ${dir}/` : 'persistence false', 'log_dest stderr', 'log_type all', 'connection_messages true')
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(conf, `${lines.join('\n')}\n`)

  let log = ''
  let child: ChildProcess | undefined
  let stopped = false

  async function start(): Promise<void> {
    if (stopped) throw new Error('this mosquitto was stopped')
    if (child && child.exitCode === null && child.signalCode === null) return
    const proc = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = proc
    live.add(proc)
    let seen = ''
    let ready = false
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL')
        reject(new Error(`mosquitto did not start within ${STARTUP_TIMEOUT_MS} ms:\n${seen}`))
      }, STARTUP_TIMEOUT_MS)
      proc.stderr?.setEncoding('utf8')
      proc.stderr?.on('data', (chunk: string) => {
        log += chunk
        // Only the start-up text is searched: with every packet logged, re-reading a growing log would cost
        // quadratic time under load. mosquitto prints "running" after every listener is open.
        if (ready) return
        seen += chunk
        if (/mosquitto version \S+ running/.test(seen)) {
          ready = true
          clearTimeout(timer)
          resolve()
        }
      })
      proc.once('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      proc.once('exit', (code, signal) => {
        live.delete(proc)
        clearTimeout(timer)
        reject(new Error(`mosquitto exited (${code ?? signal}) before it was ready:\n${seen}`))
      })
    })
  }

  async function kill(): Promise<void> {
    if (child) await stopChild(child)
  }

  await start()
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    ...(tlsPort !== undefined ? { tlsUrl: `mqtts://127.0.0.1:${tlsPort}`, tlsPort } : {}),
    ...(wsPort !== undefined ? { wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`, wsPort } : {}),
    log: () => log,
    start,
    kill,
    async restart() {
      await kill()
      await start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A throwaway self-signed certificate for CN=localhost with SANs localhost and 127.0.0.1,
 * generated by openssl at test time and never written outside a temp dir. Null when openssl is missing.
 */
export async function selfSignedCert(): Promise<{ cert: string; key: string } | null> {
  const openssl = ['/usr/bin/openssl', '/bin/openssl'].find(executable)
  if (!openssl) return null
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-cert-'))
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    const r = await run(openssl, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ])
    if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`)
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
