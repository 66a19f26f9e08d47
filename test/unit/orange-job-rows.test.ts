import { describe, expect, it } from 'vitest'
import { checkSerial, orangeIntended, orangeRequest, orangeTransition } from '../../src-main/core/jobs/orange-rows'

describe('Orange rows of a bulk job (docs/wire/orange.md §4.6)', () => {
  it('takes a 13-digit serial number as typed, warns on a wrong check digit, and refuses anything else', () => {
    expect(checkSerial(' 1668-0073-70012 ')).toEqual({ iccid: '1668007370012', issues: [{ code: 'luhn', severity: 'warning' }] })
    expect(checkSerial('9999999999992')).toEqual({ iccid: '9999999999992', issues: [] })
    expect(checkSerial('89330112345678901230').issues).toEqual([{ code: 'length', severity: 'error', detail: '20' }])
    expect(checkSerial('1.66801E+12').issues).toEqual([{ code: 'mangled', severity: 'error', detail: '1.66801E+12' }])
    expect(checkSerial('').issues).toEqual([{ code: 'empty', severity: 'error' }])
  })

  it('asks Orange only for the states a ticket may request, and refuses a rate plan or an SMS', () => {
    expect(['activated', 'activatedForTest', 'sleeping', 'suspended'].map((s) => orangeRequest(s as never))).toEqual(['ACTIVATED', 'ACTIVATED_FOR_TEST', 'SLEEPING', 'SUSPENDED'])
    expect(orangeRequest('preActivated')).toBeNull()
    expect(orangeRequest('deactivated')).toBeNull()
    expect(orangeIntended('status', 'cancelled')).toEqual({ after: {}, issues: [{ code: 'unsupported', severity: 'error', detail: 'orange cancelled' }] })
    expect(orangeIntended('ratePlan', null).issues).toEqual([{ code: 'unsupported', severity: 'error', detail: 'orange ratePlan' }])
    expect(orangeIntended('sms', null).issues).toEqual([{ code: 'unsupported', severity: 'error', detail: 'orange sms' }])
    expect(orangeIntended('refresh', null)).toEqual({ after: {}, issues: [] })
  })

  it('refuses the transitions Orange is taken to refuse, skips a SIM already so, and a change still pending', () => {
    const from = (status: string, pending: string | null = null) => ({ status: status as never, pending })
    expect(orangeTransition(from('cancelled'), { status: 'activated' })).toEqual([{ code: 'transition', severity: 'error', detail: 'CANCELLED → ACTIVATED' }])
    expect(orangeTransition(from('sleeping'), { status: 'sleeping' })).toEqual([{ code: 'noChange', severity: 'skip' }])
    expect(orangeTransition(from('activated', 'SLEEPING'), { status: 'suspended' })).toEqual([{ code: 'pendingChange', severity: 'error', detail: 'SLEEPING' }])
    expect(orangeTransition(from('activated'), { status: 'activatedForTest' })[0]?.code).toBe('transition')
    expect(orangeTransition(from('preActivated'), { status: 'activatedForTest' })).toEqual([])
    expect(orangeTransition(from('preActivated'), { status: 'sleeping' })[0]?.code).toBe('transition')
    expect(orangeTransition(from('preActivated'), { status: 'suspended' })[0]?.code).toBe('transition')
    expect(orangeTransition(from('preActivated'), { status: 'activated' })).toEqual([])
    expect(orangeTransition(from('suspended'), { status: 'activated' })).toEqual([])
  })
})
