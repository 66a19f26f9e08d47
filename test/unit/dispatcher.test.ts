import { describe, expect, it, vi } from 'vitest'
import { createDispatcher, type Handlers } from '../../src-main/core/ipc/dispatcher'
import { AppError } from '../../src-main/core/common/errors'
import { CHANNEL_NAMES } from '../../src-shared/contract'

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const all = Object.fromEntries(
    CHANNEL_NAMES.map((c) => [
      c,
      () => {
        throw new Error(`unexpected call to ${c}`)
      },
    ]),
  ) as unknown as Handlers
  return { ...all, ...overrides }
}

describe('bridge dispatcher', () => {
  it('refuses unknown channels without running anything', async () => {
    const d = createDispatcher(handlersWith({}))
    for (const name of ['nope', 'devices:list ', '__proto__', 'constructor', 42, null]) {
      const r = await d.invoke(name, {})
      expect(r).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
    }
  })

  it('rejects wrong input types with VALIDATION and the offending paths, before the handler runs', async () => {
    const add = vi.fn()
    const d = createDispatcher(handlersWith({ 'devices:add': add }))
    const r = await d.invoke('devices:add', { typeId: 7, deviceId: 'x', extra: true })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('VALIDATION')
    expect(r.error.details?.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(['typeId']))
    expect(add).not.toHaveBeenCalled()
  })

  it('applies input defaults and returns the validated output', async () => {
    const d = createDispatcher(handlersWith({ 'devices:list': (i) => ({ total: i.offset + i.limit, items: [] }) }))
    expect(await d.invoke('devices:list', {})).toEqual({ ok: true, value: { total: 100, items: [] } })
  })

  it('passes AppErrors through and hides the text of unexpected errors', async () => {
    const onInternalError = vi.fn()
    const d = createDispatcher(
      handlersWith({
        'devices:get': () => {
          throw AppError.withRef('NOT_FOUND', 'Device a/b does not exist', { key: 'errors.deviceNotFound', params: { id: 'a/b' } })
        },
        'devices:remove': () => {
          throw new Error('ENOENT /home/secret/path apiKey=hunter2')
        },
      }),
      { onInternalError },
    )
    expect(await d.invoke('devices:get', { typeId: 'a', deviceId: 'b' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Device a/b does not exist', details: { ref: { key: 'errors.deviceNotFound', params: { id: 'a/b' } } } },
    })
    const r = await d.invoke('devices:remove', { typeId: 'a', deviceId: 'b' })
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
    expect(JSON.stringify(r)).not.toContain('hunter2')
    expect(onInternalError).toHaveBeenCalledOnce()
  })

  it('refuses to let an invalid answer leave the core', async () => {
    const d = createDispatcher(handlersWith({ 'vault:isSet': () => ({ set: 'yes' }) as never }))
    expect(await d.invoke('vault:isSet', { profileId: 'p', field: 'f' })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })
})

describe('translated validation over the bridge', () => {
  it('names a line break in a mail header as header injection, not as a generic invalid input', async () => {
    const invite = vi.fn()
    const d = createDispatcher(handlersWith({ 'team:invite': invite }))
    const r = await d.invoke('team:invite', { name: 'Eve\r\nBcc: victim@example.com', email: 'eve@example.com', role: 'operator' })
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'mail.headerInjection', params: { field: 'name' } } } } })
    expect(invite).not.toHaveBeenCalled()
  })
})
