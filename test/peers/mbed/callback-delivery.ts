/**
 * The HTTP PUT with which the service reaches a callback URL (docs/wire/mbed.md §1.5): the registration test (`{}`)
 * and each notification envelope. Redirects are not followed (a 3xx is a failure, §1.5 "no redirects").
 *
 * [I] The peer reaches loopback hosts only (the rest-api refuses other URLs as not accessible): a test peer must never
 * send traffic off the machine, and a real service could not reach a test receiver anyway.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** Resolves with the receiver's status; rejects on a connection failure or after `timeoutMs` without an answer. */
export function putJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(target, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('callback timeout')))
    req.on('error', reject)
    req.end(body)
  })
}
