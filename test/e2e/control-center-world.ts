import { startControlCenterPeer, type ControlCenterPeer, type ControlCenterPeerOptions } from '../peers/control-center/control-center.peer'
import { test } from './fixtures'
import { skipWithoutKeyring } from './steps'

/**
 * The Control Center peer a spec's tests run against: started for each test with `options`, closed after it. Its
 * profile's API key goes to the OS keychain, so a missing keyring skips the test with the reason (and fails it under
 * FIELDLINE_STRICT=1). Returns the current test's peer.
 */
export function useControlCenterPeer(options: ControlCenterPeerOptions): () => ControlCenterPeer {
  let peer: ControlCenterPeer | undefined

  test.beforeEach(async () => {
    skipWithoutKeyring()
    peer = await startControlCenterPeer(options)
  })

  test.afterEach(async () => {
    await peer?.close()
    peer = undefined
  })

  return () => {
    if (!peer) throw new Error('the Control Center peer runs only inside a test')
    return peer
  }
}
