/**
 * `fieldline serve` as its own process, started from source, for tests whose question is "does the process live?":
 * a crash in serve mode ends the process, which an in-process server would hide or take the test runner down with.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

export interface ServeChild {
  port: number
  token: string
  origin: string
  child: ChildProcess
  stderr(): string
  /** True while the process runs. */
  alive(): boolean
  /** A WebSocket on /ipc with the token and our Origin (resolves once open). */
  connect(): Promise<WebSocket>
  stop(): Promise<number | null>
}

/** A stand-in for the built renderer: `<dir>/renderer/index.html`. Returns the folder. */
export async function placeholderRenderer(dir: string): Promise<string> {
  const renderer = join(dir, 'renderer')
  await mkdir(renderer, { recursive: true })
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Fieldline</title>')
  return renderer
}

export async function startServeChild(dataDir: string, rendererDir: string): Promise<ServeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir, 'serve'], {
    env: { ...process.env, FIELDLINE_RENDERER_DIR: rendererDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // A test that fails before stopping it must not leave it running (and holding its data folder) after the run.
  const orphaned = () => child.kill('SIGKILL')
  process.once('exit', orphaned)
  child.once('exit', () => process.off('exit', orphaned))
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = await new Promise<URL>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out)
      if (m) resolve(new URL(m[1]!))
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  const port = Number(url.port)
  const token = url.hash.replace('#token=', '')
  const origin = url.origin
  return {
    port,
    token,
    origin,
    child,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    connect: () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ipc?token=${token}`, { origin })
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
      }),
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
  }
}

/** One call over the socket, answered by the frame with the same id. */
export interface CallResult {
  ok: boolean
  value?: unknown
  error?: { code: string; details?: { ref?: { key: string } } }
}

export function invoke(ws: WebSocket, id: number, channel: string, input: unknown): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: number; result: CallResult }
      if (frame.type !== 'result' || frame.id !== id) return
      ws.off('message', onMessage)
      ws.off('close', onClose)
      resolve(frame.result)
    }
    const onClose = (code: number) => reject(new Error(`socket closed with ${code} before answering`))
    ws.on('message', onMessage)
    ws.once('close', onClose)
    ws.send(JSON.stringify({ type: 'invoke', id, channel, input }))
  })
}
