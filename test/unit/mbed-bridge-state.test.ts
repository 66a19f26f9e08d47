/** The bridge state rules (src-main/core/mbed/bridge-state.ts), apart from any socket. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { deriveBridgeState } from '../../src-main/core/mbed/bridge-state'

const side = <S>(state: S, lastError?: AppError) => ({ state, lastError })
const api = 'http://127.0.0.1:1'

describe('deriveBridgeState', () => {
  it('leaves a stopped, stopping or failed bridge alone, and a starting one until launched', () => {
    for (const current of ['stopped', 'stopping', 'failed'] as const) expect(deriveBridgeState(current, true, side('failed'), side('failed'), api)).toBeNull()
    expect(deriveBridgeState('starting', false, side('open'), side('connected'), api)).toBeNull()
  })

  it('is running when the channel is open and the link connected', () => {
    expect(deriveBridgeState('starting', true, side('open'), side('connected'), api)).toEqual({ next: 'running' })
    expect(deriveBridgeState('degraded', true, side('open'), side('connected'), api)).toEqual({ next: 'running' })
  })

  it('fails with the side’s own reason, and names the side, when the channel failed or the link stopped', () => {
    const auth = new AppError('AUTH_FAILED', 'no')
    expect(deriveBridgeState('running', true, side('failed', auth), side('connected'), api)).toEqual({ next: 'failed', reason: auth, side: 'mbed' })
    const verdict = deriveBridgeState('running', true, side('open'), side('stopped'), api)
    expect(verdict?.next === 'failed' ? [verdict.reason.details?.ref?.key, verdict.side] : []).toEqual(['mbed.linkClosed', 'link'])
    // Closed after an outage: the closing is the reason, not the outage's last error.
    const closed = deriveBridgeState('degraded', true, side('open'), side('stopped', new AppError('NETWORK', 'ECONNREFUSED')), api)
    expect(closed?.next === 'failed' ? closed.reason.details?.ref?.key : null).toBe('mbed.linkClosed')
    // The same code from the link is the broker's refusal, not mbed's: the side tells them apart.
    expect(deriveBridgeState('running', true, side('open'), side('failed', auth), api)).toEqual({ next: 'failed', reason: auth, side: 'link' })
  })

  it('a normal start stays starting while connecting; trouble on either side makes it degraded with the reason', () => {
    expect(deriveBridgeState('starting', true, side('connecting'), side('connecting'), api)).toBeNull()
    const net = new AppError('NETWORK', 'down')
    const degraded = deriveBridgeState('starting', true, side('reconnecting', net), side('connected'), api)
    expect(degraded?.next).toBe('degraded')
    expect(degraded && 'reason' in degraded ? [degraded.reason.code, degraded.reason.message] : []).toEqual(['NETWORK', 'down'])
    const verdict = deriveBridgeState('running', true, side('open'), side('reconnecting'), api)
    expect(verdict && 'reason' in verdict ? verdict.reason.details?.ref?.key : '').toBe('mbed.waitingForBroker')
  })

  it('marks a degraded reason as retried by the bridge itself (its text must not ask to try again), a failure’s not', () => {
    const reset = AppError.withRef('NETWORK', 'Cannot reach mbed at 127.0.0.1:1: connection reset', { key: 'errors.network', params: { host: '127.0.0.1:1', reason: 'ECONNRESET' } })
    const fromChannel = deriveBridgeState('running', true, side('reconnecting', reset), side('connected'), api)
    expect(fromChannel && 'reason' in fromChannel ? fromChannel.reason.toInfo() : null).toEqual({ code: 'NETWORK', message: reset.message, details: { ref: reset.details?.ref, retrying: true } })
    const lost = AppError.withRef('NETWORK', 'MQTT broker x: connection reset', { key: 'platform.connectionLost', params: { broker: 'x', reason: 'ECONNRESET' } })
    const fromLink = deriveBridgeState('running', true, side('open'), side('reconnecting', lost), api)
    expect(fromLink && 'reason' in fromLink ? fromLink.reason.details : null).toEqual({ ref: lost.details?.ref, retrying: true })
    const waiting = deriveBridgeState('running', true, side('open'), side('reconnecting'), api)
    expect(waiting && 'reason' in waiting ? waiting.reason.details?.retrying : null).toBe(true)
    const failed = deriveBridgeState('running', true, side('failed', reset), side('connected'), api)
    expect(failed && 'reason' in failed ? failed.reason.details?.retrying : null).toBeUndefined()
    // The side's own error is left as it is: other views of the link keep their words.
    expect(reset.details?.retrying).toBeUndefined()
  })
})
