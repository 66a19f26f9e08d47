import { createServer } from 'node:net'

/**
 * A port on this computer that nothing listens on: free a moment ago and closed again. A test gives it to a server it
 * starts next, or uses it as the address of a server that is down (a connection to it is refused).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
