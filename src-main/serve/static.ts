import { realpathSync } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
}

export interface StaticOptions {
  root: string
  /** Headers of every answer (CSP and the other security headers). */
  headers: () => Readonly<Record<string, string>>
  /** Writes an answer without a file (400, 404, 405), with the same headers. */
  fail: (res: ServerResponse, status: number, extra?: Record<string, string>) => void
}

/**
 * Serves the built renderer. Only files below `root` are reachable: the decoded path is normalised and must stay
 * inside it, so `..` and encoded variants cannot read the rest of the disk; and no symbolic link is followed, so
 * a link planted in the folder cannot either.
 */
export function staticHandler({ root, headers, fail }: StaticOptions) {
  let rootReal: string
  try {
    rootReal = realpathSync(root)
  } catch {
    // A missing folder serves nothing (every path is a 404), as before it existed.
    rootReal = resolve(root)
  }
  const base = normalize(rootReal + sep)
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, { allow: 'GET, HEAD' })
    // Only a path (origin form), read as it is: an absolute target (`GET http://other.example/`) names another host
    // than the one checked, and URL parsing would take the `x` of `//x/index.html` for a host.
    const target = req.url ?? ''
    if (!target.startsWith('/')) return fail(res, 400)
    let pathname: string
    try {
      pathname = decodeURIComponent(target.split(/[?#]/, 1)[0]!)
    } catch {
      return fail(res, 400)
    }
    if (pathname.endsWith('/')) pathname += 'index.html'
    const file = normalize(join(base, pathname))
    if (!file.startsWith(base) || pathname.includes('\0')) return fail(res, 404)
    // The real path differs from the asked one exactly when a link lies on the way.
    const real = await realpath(file).catch(() => null)
    if (real !== file) return fail(res, 404)
    const handle = await open(file, 'r').catch(() => null)
    if (!handle) return fail(res, 404)
    try {
      const info = await handle.stat()
      if (!info.isFile()) {
        await handle.close()
        return fail(res, 404)
      }
      const immutable = file.includes(`${sep}assets${sep}`)
      res.writeHead(200, {
        ...headers(),
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        // A Range header is ignored (HTTP allows it): every answer is the whole file, and this says so.
        'accept-ranges': 'none',
      })
      if (req.method === 'HEAD') {
        await handle.close()
        res.end()
        return
      }
      // A read that fails mid-file cannot change the status already sent: the answer is cut off instead; a client
      // that leaves mid-file closes the file.
      pipeline(handle.createReadStream(), res, () => undefined)
    } catch {
      await handle.close().catch(() => undefined)
      if (res.headersSent) res.destroy()
      else fail(res, 404)
    }
  }
}
