import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { CliError, EXIT, type Runtime } from '../runtime'
import { signals } from '../stop-signals'

/** Node's `listen EADDRINUSE: address already in use 127.0.0.1:8080` in the operator's words, with what to do. */
function listenFailure(e: unknown, port: number): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code
  if (code !== 'EADDRINUSE') return e
  return new CliError(`fieldline: port ${port} on 127.0.0.1 is already in use (another program, or another fieldline serve): choose another --port, or leave it out to take a free one`, EXIT.failed)
}

export function registerServe(program: Command, openServe: () => Promise<Runtime>): void {
  program
    .command('serve')
    .description('serve the Fieldline console on 127.0.0.1 (prints the URL that carries the access token)')
    .option('-p, --port <n>', 'TCP port (default: a free one)', '0')
    .action(async (opts: { port: string }) => {
      const port = Number(opts.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`fieldline: --port must be 0–65535`, EXIT.usage)
      const rt = await openServe()
      // Loaded here with the core it serves, not when the command tree is built.
      const { startServe } = await import('../../serve/server')
      const rendererDir = process.env.FIELDLINE_RENDERER_DIR ?? fileURLToPath(new URL('../renderer/', import.meta.url))
      const handle = await startServe({ core: rt.core, rendererDir, port }).catch(async (e: unknown) => {
        await rt.core.close()
        throw listenFailure(e, port)
      })
      rt.out(`Fieldline is serving ${handle.url}`)
      // Handlers stay installed: a second signal must not kill the process mid-close.
      await signals()
      await handle.close()
      await rt.core.close()
    })
}
