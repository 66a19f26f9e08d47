import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { test } from './fixtures'
import { skipWithoutKeyring } from './steps'

/** The IAM API key the CouchDB peer accepts (role manager). */
export const HISTORIAN_API_KEY = 'iam-e2e-key'

export interface HistorianWorld {
  readonly broker: Mosquitto
  readonly couch: CouchPeer
}

/**
 * What the historian specs run against, for each test of the scope it is called in: Debian's mosquitto on a free
 * loopback port and the CouchDB peer (express-pouchdb behind a front that fakes IBM Cloud IAM), stopped after it.
 * Saving the API key puts it in the OS keychain: without mosquitto or a D-Bus session with an unlocked keyring the test
 * is skipped with the reason locally, and fails under FIELDLINE_STRICT=1, which .ci/run sets.
 */
export function useHistorianWorld(): HistorianWorld {
  let broker: Mosquitto | undefined
  let couch: CouchPeer | undefined

  test.beforeEach(async () => {
    const reason = mosquittoSkipReason()
    test.skip(reason !== null, reason ?? '')
    skipWithoutKeyring()
    broker = await startMosquitto()
    couch = await startCouchPeer({ apiKeys: { [HISTORIAN_API_KEY]: 'manager' } })
  })

  test.afterEach(async () => {
    await couch?.close()
    await broker?.stop()
  })

  return {
    get broker() {
      return broker!
    },
    get couch() {
      return couch!
    },
  }
}
