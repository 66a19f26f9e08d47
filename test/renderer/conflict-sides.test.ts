/**
 * What the conflict dialog shows and sends: which version is "mine" and which "theirs" (the winner stands for mine
 * when the core does not know), what resolve is asked to keep, the text of a version, and the fields that differ.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { SyncConflict } from '../../src-shared/models/sync'
import type { Translate } from '../../src-renderer/src/i18n'
import { conflictSides, conflictTitle, fieldDifferences, keepOf, versionText } from '../../src-renderer/src/lib/conflict-sides'

const t: Translate = (key, options) => get(format)(key, options)

const version = (rev: string, side: 'mine' | 'theirs' | 'unknown', winner: boolean, doc: Record<string, unknown>) => ({ rev, side, winner, doc: { _id: 'mail:settings', _rev: rev, ...doc } })

describe('conflict sides', () => {
  it('pairs mine and theirs by side, and asks to keep a side the core knows', () => {
    const conflict: SyncConflict = { id: 'mail:settings', kind: 'mailSettings', versions: [version('2-b', 'theirs', true, { host: 'b' }), version('2-a', 'mine', false, { host: 'a' })] }
    const sides = conflictSides(conflict)!
    expect([sides.mine.rev, sides.theirs.rev]).toEqual(['2-a', '2-b'])
    expect([keepOf(sides.mine), keepOf(sides.theirs)]).toEqual(['mine', 'theirs'])
  })

  it('takes the winner for mine when the sides are unknown, and then names revisions', () => {
    const conflict: SyncConflict = { id: 'mail:settings', kind: 'mailSettings', versions: [version('2-b', 'unknown', true, {}), version('2-a', 'unknown', false, {})] }
    const sides = conflictSides(conflict)!
    expect([keepOf(sides.mine), keepOf(sides.theirs)]).toEqual([{ rev: '2-b' }, { rev: '2-a' }])
  })

  it('shows a version without its revision, and lists only the fields that differ, by name', () => {
    const conflict: SyncConflict = {
      id: 'mail:settings',
      kind: 'mailSettings',
      versions: [version('2-a', 'mine', true, { host: 'a', port: 25, tls: { on: true } }), version('2-b', 'theirs', false, { host: 'a', port: 587, tls: { on: false }, from: 'x' })],
    }
    const sides = conflictSides(conflict)!
    expect(JSON.parse(versionText(sides.mine))).toEqual({ _id: 'mail:settings', host: 'a', port: 25, tls: { on: true } })
    expect(fieldDifferences(sides)).toEqual([
      { field: 'from', mine: '', theirs: 'x' },
      { field: 'port', mine: '25', theirs: '587' },
      { field: 'tls', mine: '{"on":true}', theirs: '{"on":false}' },
    ])
  })

  it('has no pair when only one version is left', () => {
    expect(conflictSides({ id: 'x', kind: 'device', versions: [version('1-a', 'mine', true, {})] })).toBeNull()
  })
})

describe('conflict titles', () => {
  const conflict = (id: string, kind: string, doc: Record<string, unknown> = {}): SyncConflict => ({
    id,
    kind,
    versions: [version('2-b', 'theirs', true, { _id: id, ...doc }), version('2-a', 'mine', false, { _id: id, name: 'an older name' })],
  })

  it('names a document as the operator knows it, from the winning version, never by its internal id', () => {
    locale.set('en')
    expect(conflictTitle(t, conflict('device:meter:m-17', 'device', { typeId: 'meter', deviceId: 'm-17' }))).toBe('meter / m-17')
    expect(conflictTitle(t, conflict('draft:device:meter:m-17', 'draft', { target: 'device:meter:m-17' }))).toBe('meter / m-17')
    expect(conflictTitle(t, conflict('profile:jasper:p1', 'profile', { name: 'Lab account' }))).toBe('Lab account')
    expect(conflictTitle(t, conflict('package:com.acme.fw', 'package', { bundleId: 'com.acme.fw' }))).toBe('com.acme.fw')
    expect(conflictTitle(t, conflict('invitation:00000000000000aa', 'invitation', { name: 'Oscar', email: 'oscar@example.org' }))).toBe('Oscar <oscar@example.org>')
  })

  it('names a document without a name of its own by its kind, in the window’s language', () => {
    locale.set('en')
    expect(conflictTitle(t, conflict('mail:settings', 'mailSettings'))).toBe('Email settings')
    expect(conflictTitle(t, conflict('profile:jasper:p2', 'profile', { name: ' ' }))).toBe('Profile')
    expect(conflictTitle(t, conflict('gadget:x', 'gadget'))).toBe('gadget')
    locale.set('fr')
    expect(conflictTitle(t, conflict('mail:settings', 'mailSettings'))).toBe('Réglages d’e-mail')
    locale.set('en')
  })
})
