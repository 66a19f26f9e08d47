import { describe, expect, it } from 'vitest'
import { isShared, replicationFilter, sharedPrefixes } from '../../src-main/core/sync/sync-filter'
import { teamRole } from '../../src-main/core/sync/team-security'

describe('what team sync shares', () => {
  it('takes the chosen groups by id prefix, deletions included, and never _local, design or unlisted documents', () => {
    const share = replicationFilter(['devices', 'profiles', 'teamSettings'])
    expect(share({ _id: 'device:meter:m-1' })).toBe(true)
    expect(share({ _id: 'profile:jasper:ops' })).toBe(true)
    expect(share({ _id: 'mail:settings' })).toBe(true)
    // An exact id is not a prefix.
    expect(share({ _id: 'mail:settings-x' })).toBe(false)
    for (const id of ['_local/sync-settings', '_design/fieldline-roles', 'draft:device:meter:m-1', 'outbox:1', 'ticket:orange:x', 'ledger-item:1', 'audit:2026', 'cache:sim:x', 'package:p']) {
      expect(share({ _id: id }), id).toBe(false)
    }
  })

  it('keeps a fixed prefix order whatever order the groups are chosen in (the filter is part of the checkpoint)', () => {
    expect(sharedPrefixes(['audit', 'devices'])).toEqual(sharedPrefixes(['devices', 'audit']))
    expect(isShared('audit:x', sharedPrefixes(['audit']))).toBe(true)
  })

  it("reads the team role from the server's roles, strongest first", () => {
    expect(teamRole(['_admin'])).toBe('administrator')
    expect(teamRole(['viewer', 'operator'])).toBe('operator')
    expect(teamRole(['viewer'])).toBe('viewer')
    expect(teamRole(['other'])).toBeNull()
  })
})
