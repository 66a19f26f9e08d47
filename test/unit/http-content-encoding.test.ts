import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeContentEncoding } from '../../src-main/core/http/content-encoding'
import { createHttpClient } from '../../src-main/core/http/http-client'
import { rejection } from '../helpers/core'

const TEXT = '{"temperature": 21.5, "phrase": "Éclaircies"}'
const bytes = Buffer.from(TEXT, 'utf8')

describe('content encodings', () => {
  it.each([
    ['gzip', gzipSync(bytes)],
    ['x-gzip', gzipSync(bytes)],
    ['deflate', deflateSync(bytes)],
    ['deflate', deflateRawSync(bytes)],
    ['br', brotliCompressSync(bytes)],
    ['identity', bytes],
  ])('decodes %s', async (coding, encoded) => {
    expect(Buffer.from(await decodeContentEncoding(encoded, coding, 1024, 'svc')).toString('utf8')).toBe(TEXT)
  })

  it('undoes stacked codings from the last applied', async () => {
    const twice = brotliCompressSync(gzipSync(bytes))
    expect(Buffer.from(await decodeContentEncoding(twice, 'gzip, br', 1024, 'svc')).toString('utf8')).toBe(TEXT)
  })

  it('refuses an unknown coding and a damaged body by name, and caps what a small body expands to', async () => {
    expect(await rejection(decodeContentEncoding(bytes, 'compress-9000', 1024, 'svc'))).toMatchObject({
      code: 'NETWORK',
      details: { ref: { key: 'errors.badContentEncoding', params: { encoding: 'compress-9000' } } },
    })
    expect(await rejection(decodeContentEncoding(bytes, 'gzip', 1024, 'svc'))).toMatchObject({ code: 'NETWORK', details: { ref: { key: 'errors.badContentEncoding' } } })
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(20_000)
    expect(await rejection(decodeContentEncoding(bomb, 'gzip', 1024 * 1024, 'svc'))).toMatchObject({ code: 'TOO_LARGE', details: { ref: { key: 'errors.responseTooLarge' } } })
  })

  describe('through the HTTP factory', () => {
    let server: Server
    let url = ''
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/bomb') {
          const body = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20))
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) }).end(body)
          return
        }
        const gz = /gzip/.test(String(req.headers['accept-encoding'] ?? ''))
        const body = gz ? gzipSync(bytes) : bytes
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...(gz ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) }).end(body)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })

    it('hands the client the decoded text of a gzip answer', async () => {
      const http = createHttpClient({ baseUrl: url })
      try {
        const res = await http.request({ method: 'GET', path: '/', headers: { 'accept-encoding': 'gzip' } })
        expect(res.headers['content-encoding']).toBe('gzip')
        expect(res.tryJson()).toEqual(JSON.parse(TEXT))
      } finally {
        await http.close()
      }
    })

    it('refuses an answer that decompresses beyond the body limit', async () => {
      const http = createHttpClient({ baseUrl: url, maxBodyBytes: 1024 * 1024 })
      try {
        expect(await rejection(http.request({ method: 'GET', path: '/bomb' }))).toMatchObject({ code: 'TOO_LARGE' })
      } finally {
        await http.close()
      }
    })
  })
})
