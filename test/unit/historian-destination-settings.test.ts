/**
 * A destination's URL as the core takes it when a profile is saved (variables must give the scheme: historian-env-urls). Cold
 * trial: the CouchDB form accepted `couch.local:5984` (a bare host means https://, withDefaultScheme) and the core then
 * refused the same value with « null » n’est pas une URL https:// valide — the form and the core must agree.
 */
import { describe, expect, it } from 'vitest'
import { normaliseCouchSettings, normaliseKafkaSettings } from '../../src-main/core/profiles/destination-settings'
import { secureUrlProblem, withDefaultScheme } from '../../src-shared/models/transport-rules'

describe('destination URLs without a scheme', () => {
  it.each(['couch.example.com:6984', 'account.cloudant.com'])('takes the CouchDB account %s as https://, as its form does', (url) => {
    expect(secureUrlProblem(withDefaultScheme(url))).toBeNull()
    const s = normaliseCouchSettings({ url, auth: 'basic', username: 'operator', dbName: 'default' })
    expect(s.url).toBe(`https://${url}`)
  })

  it('takes a bare IAM host and a bare REST producer host as https:// too', () => {
    expect(normaliseCouchSettings({ url: 'https://account.cloudant.com', iamUrl: 'iam.example.com', dbName: 'default' }).iamUrl).toBe('https://iam.example.com')
    expect(normaliseKafkaSettings({ transport: 'eventstreams-rest', restUrl: 'kafka.example.com', topic: 'events' }).restUrl).toBe('https://kafka.example.com')
  })

  it('still refuses plain http:// to another computer', () => {
    expect(() => normaliseCouchSettings({ url: 'http://couch.example.com:5984', dbName: 'default' })).toThrow(/https:\/\//)
  })
})
