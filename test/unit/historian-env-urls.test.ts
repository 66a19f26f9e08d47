/**
 * Cold trial: FIELDLINE_HISTORIAN_COUCH_URL=notaurl was read as the host https://notaurl and failed only when reached
 * (« Cannot reach CouchDB at notaurl »). A URL variable without http(s):// is refused at start, naming the variable.
 */
import { describe, expect, it } from 'vitest'
import { destinationsFromEnvironment } from '../../src-main/core/historian/config'
import { AppError } from '../../src-main/core/common/errors'

const COUCH = { FIELDLINE_HISTORIAN_COUCH_URL: 'https://account.cloudant.com', FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k' }
const KAFKA = { FIELDLINE_HISTORIAN_KAFKA_REST_URL: 'https://kafka.example.com', FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events', FIELDLINE_HISTORIAN_KAFKA_PASSWORD: 'p' }

function refusal(env: Record<string, string>): AppError {
  try {
    destinationsFromEnvironment(env)
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  throw new Error('accepted')
}

describe('historian URL variables', () => {
  it.each([
    ['FIELDLINE_HISTORIAN_COUCH_URL', COUCH],
    ['FIELDLINE_HISTORIAN_COUCH_IAM_URL', COUCH],
    ['FIELDLINE_HISTORIAN_KAFKA_REST_URL', KAFKA],
  ])('refuses %s without http(s)://, naming it', (name, base) => {
    for (const value of ['notaurl', 'ftp://couch.example.com', 'account.cloudant.com']) {
      const e = refusal({ ...base, [name]: value })
      expect(e.code).toBe('VALIDATION')
      expect(e.message).toMatch(new RegExp(`^${name} must be an https:// URL`))
      expect(e.details?.ref).toEqual({ key: 'historian.invalidVariable', params: { name } })
    }
  })

  it('takes https:// URLs and http:// to this computer', () => {
    expect(destinationsFromEnvironment(COUCH)[0]?.settings).toMatchObject({ url: 'https://account.cloudant.com' })
    expect(destinationsFromEnvironment({ ...COUCH, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:5984' })[0]?.settings).toMatchObject({ url: 'http://127.0.0.1:5984' })
    expect(destinationsFromEnvironment(KAFKA)[0]?.settings).toMatchObject({ restUrl: 'https://kafka.example.com' })
  })
})
