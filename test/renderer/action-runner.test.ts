/**
 * "Run action" says "sent" only once the core says the request left (`packages:invokeSent` for this run): before, the
 * core is setting up the wait for the device's response (cold trial: with the broker just killed the page said
 * "Action sent" while nothing went, then failed).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { ActionRunner } = await import('../../src-renderer/src/lib/state/action-runner.svelte')

const DEVICE = { typeId: 'pump', deviceId: 'p-1' }
const RUN = { actionId: 'installPlugin', parameters: { pluginId: 'p1' }, timeoutSeconds: 30 }
const runIdOf = (): string => (fake.pending('packages:invoke')[0]?.input as { runId: string }).runId

describe('running a package action', () => {
  beforeEach(() => fake.reset())

  it('is preparing until the core says this run’s request left, then sent', async () => {
    const runner = new ActionRunner(DEVICE, 'bundle-v1')
    const running = runner.run(RUN)
    expect(runner.running).toBe(true)
    expect(runner.sent).toBe(false)
    const runId = runIdOf()
    expect(runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    // Another run's sending (another window, another section) is not this one's.
    fake.emit('packages:invokeSent', { runId: '00000000-0000-4000-8000-000000000000' })
    expect(runner.sent).toBe(false)
    fake.emit('packages:invokeSent', { runId })
    expect(runner.sent).toBe(true)
    fake.answer('packages:invoke', ok({ reqId: 'r-1', rc: 200, timedOut: false, topic: 't' }))
    await running
    await settle()
    expect(runner.running).toBe(false)
    expect(runner.outcome).toMatchObject({ kind: 'answered', result: { rc: 200 } })
    runner.dispose()
  })

  it('never says sent when the core could not send, and says why', async () => {
    const runner = new ActionRunner(DEVICE, 'bundle-v1')
    const running = runner.run(RUN)
    const refusal = { code: 'NETWORK' as const, message: 'not sent', details: { ref: { key: 'dm.notSubscribed', params: { seconds: 30 } } } }
    const { runId } = fake.answer('packages:invoke', { ok: false, error: refusal })
    await running
    expect(runner.sent).toBe(false)
    expect(runner.outcome).toMatchObject({ kind: 'refused', error: refusal })
    // A late event for the finished run changes nothing.
    fake.emit('packages:invokeSent', { runId: runId ?? '' })
    expect(runner.sent).toBe(false)
    runner.dispose()
  })
})
