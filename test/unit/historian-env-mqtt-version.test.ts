/**
 * Cold trial: FIELDLINE_HISTORIAN_MQTT_VERSION=3 said only "FIELDLINE_HISTORIAN_MQTT_VERSION is not valid", leaving the
 * operator to guess the values it takes; the README says 4 or 5, and so does the refusal.
 */
import { describe, expect, it } from 'vitest'
import { fromEnvironment } from '../../src-main/core/historian/config'
import { AppError } from '../../src-main/core/common/errors'

const ENV = {
  FIELDLINE_MQTT_URL: 'mqtts://broker.example.com:8883',
  FIELDLINE_MQTT_CLIENT_ID: 'a:org1:historian',
  FIELDLINE_HISTORIAN_COUCH_URL: 'https://account.cloudant.com',
  FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k',
}

describe('FIELDLINE_HISTORIAN_MQTT_VERSION', () => {
  it('refuses a version other than 4 or 5, naming the values it takes', () => {
    for (const value of ['3', '6', '3.1.1']) {
      let refused: unknown
      try {
        fromEnvironment({ ...ENV, FIELDLINE_HISTORIAN_MQTT_VERSION: value })
      } catch (e) {
        refused = e
      }
      expect(refused, value).toBeInstanceOf(AppError)
      expect((refused as AppError).message, value).toBe('FIELDLINE_HISTORIAN_MQTT_VERSION must be one of 4, 5')
      expect((refused as AppError).details?.ref).toEqual({ key: 'historian.invalidVariable', params: { name: 'FIELDLINE_HISTORIAN_MQTT_VERSION' } })
    }
  })

  it('takes 4 and 5', () => {
    expect(fromEnvironment({ ...ENV, FIELDLINE_HISTORIAN_MQTT_VERSION: '4' }).mqtt?.protocolVersion).toBe(4)
    expect(fromEnvironment({ ...ENV, FIELDLINE_HISTORIAN_MQTT_VERSION: '5' }).mqtt?.protocolVersion).toBe(5)
  })
})
