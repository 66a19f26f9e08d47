/**
 * Routes: one per device type + event (the Watson mapping, docs/wire/ledger.md §4). A route is checked against its
 * target when saved, so that the forwarder never meets a mapping that cannot work: the function exists and changes
 * state, every parameter it takes is mapped exactly once, each parameter's type can be produced, units convert within
 * one dimension, and min ≤ max.
 */
import { randomBytes } from 'node:crypto'
import type { Route, RouteSave } from '../../../src-shared/models/ledger'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import type { LedgerAdapter } from './ledger-adapter'
import { getRoute, idOf, listRoutes, ROUTE_PREFIX, routeDocId, writeAudited, type RouteDoc, type TargetDoc } from './ledger.store'

const MAPPABLE = /^(?:u?int\d*|bool|string|address|bytes\d*)$/

export function toRoute(doc: RouteDoc): Route {
  const { _id, _rev: _r, kind: _k, schemaVersion: _s, ...rest } = doc
  return { ...rest, id: idOf(doc, ROUTE_PREFIX) }
}

function invalid(message: string, key: string, params: Record<string, string | number> = {}): AppError {
  return AppError.withRef('VALIDATION', message, { key, params })
}

/** Checks a route against its target; the adapter is asked for the function's parameters (EVM: from the ABI). */
export async function checkRoute(route: RouteSave, target: TargetDoc, adapter: LedgerAdapter | null): Promise<void> {
  // The transforms bring viem (addresses): loaded when a route is saved, not in every process that opens the core.
  const { unitsCompatible } = await import('./route-transforms')
  const seen = new Set<string>()
  for (const row of route.rows) {
    if (seen.has(row.parameter)) throw invalid(`${row.parameter} is mapped twice`, 'ledger.route.duplicateParameter', { parameter: row.parameter })
    seen.add(row.parameter)
    if (row.unit && !unitsCompatible(row.unit.from, row.unit.to))
      throw invalid(`${row.parameter}: ${row.unit.from} cannot be converted to ${row.unit.to}`, 'ledger.route.unitMismatch', { parameter: row.parameter })
    if (row.min !== undefined && row.max !== undefined && row.min > row.max) throw invalid(`${row.parameter}: min is above max`, 'ledger.route.minAboveMax', { parameter: row.parameter })
  }
  if (target.settings.kind === 'fabric') {
    if (route.argumentStyle === 'abi') throw invalid('A Fabric route sends one JSON string or positional strings', 'ledger.route.fabricStyle')
    return
  }
  if (route.argumentStyle !== 'abi') throw invalid('An EVM route sends the arguments the ABI encodes', 'ledger.route.evmStyle')
  if (route.rows.some((r) => r.type !== undefined)) throw invalid('EVM parameter types come from the ABI', 'ledger.route.evmType')
  const description = await adapter!.describe()
  const fn = description.functions.find((f) => f.name === route.function)
  if (!fn) throw invalid(`The ABI has no function ${route.function}`, 'ledger.noFunction', { name: route.function })
  if (!fn.mutates) throw invalid(`${route.function} is a view function: it would change nothing on the ledger`, 'ledger.route.viewFunction', { name: route.function })
  for (const input of fn.inputs) {
    if (!seen.has(input.name)) throw invalid(`${route.function} takes ${input.name}, which no row maps`, 'ledger.route.unmapped', { parameter: input.name })
    if (!MAPPABLE.test(input.type)) throw invalid(`${input.name} is a ${input.type}, which a route cannot produce`, 'ledger.route.unsupportedType', { parameter: input.name, type: input.type })
  }
  for (const name of seen) {
    if (!fn.inputs.some((i) => i.name === name)) throw invalid(`${route.function} has no parameter ${name}`, 'ledger.route.unknownParameter', { parameter: name })
  }
}

export function routeNotFound(id: string): AppError {
  return AppError.withRef('NOT_FOUND', `There is no ledger route "${id}"`, { key: 'ledger.routeNotFound', params: { id } })
}

export function createRoutes(deps: { db: Db; changed: () => void }) {
  const { db } = deps

  return {
    async list(): Promise<Route[]> {
      return (await listRoutes(db)).map(toRoute)
    },

    async get(id: string): Promise<RouteDoc & { _rev: string }> {
      const doc = await getRoute(db, id)
      if (!doc) throw routeNotFound(id)
      return doc
    },

    async save(input: RouteSave, ctx: CallContext, check: () => Promise<void>): Promise<Route> {
      const existing = input.id ? await getRoute(db, input.id) : null
      if (input.id && !existing) throw routeNotFound(input.id)
      const id =
        input.id ??
        `${input.deviceType}-${input.eventId}`
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .slice(0, 40)
          .replace(/^-+/, '') + `-${randomBytes(2).toString('hex')}`
      const clash = (await listRoutes(db)).find((r) => r._id !== routeDocId(id) && r.deviceType === input.deviceType && r.eventId === input.eventId)
      if (clash) {
        throw AppError.withRef('CONFLICT', `Route "${clash.name}" already maps ${input.deviceType} / ${input.eventId}`, { key: 'ledger.route.duplicate', params: { name: clash.name } })
      }
      await check()
      const now = new Date().toISOString()
      const { id: _given, ...fields } = input
      const doc: RouteDoc = {
        _id: routeDocId(id),
        ...(existing ? { _rev: existing._rev } : {}),
        kind: 'ledgerRoute',
        schemaVersion: CURRENT_SCHEMA.ledgerRoute,
        ...fields,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }
      await writeAudited(db, doc, {
        at: now,
        actor: ctx.actor,
        action: existing ? 'ledger.route.update' : 'ledger.route.add',
        target: `ledger-route/${id}`,
        outcome: 'ok',
        ...(existing ? { before: toRoute(existing) } : {}),
        after: toRoute(doc),
      })
      deps.changed()
      return toRoute(doc)
    },

    async remove(id: string, ctx: CallContext): Promise<{ removed: true }> {
      const doc = await this.get(id)
      const now = new Date().toISOString()
      await writeAudited(
        db,
        { _id: doc._id, _rev: doc._rev, _deleted: true },
        { at: now, actor: ctx.actor, action: 'ledger.route.remove', target: `ledger-route/${id}`, outcome: 'ok', before: toRoute(doc) },
      )
      deps.changed()
      return { removed: true }
    },
  }
}
