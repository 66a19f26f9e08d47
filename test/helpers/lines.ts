import type { Readable } from 'node:stream'

/** Calls `onLine` for each complete line a stream writes (UTF-8), however the chunks fall. */
export function eachLine(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  let partial = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  })
}
