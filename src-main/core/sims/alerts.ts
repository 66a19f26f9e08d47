import { randomBytes } from 'node:crypto'
import type { DeviceKey } from '../../../src-shared/models/device-id'
import type { AlertRule, AlertRuleInput, Notification } from '../../../src-shared/models/sim-inventory'
import type { WeatherUnits } from '../../../src-shared/models/weather'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { SimCacheDoc } from '../store/cache.store'
import { auditDoc } from '../store/audit.store'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { sentSmsPages } from '../store/sent-sms.store'
import { newTrashDoc, toTrashEntry } from '../store/trash.store'
import { allSimDocs, readCheckpoint } from './inventory.store'
import { weatherCondition, weatherHits } from './weather-alerts'

/**
 * Usage alerts over the cached inventory, and weather alerts over the cached weather at devices (weather-alerts.ts). A
 * rule fires for a SIM (or an account, or a device) when its condition becomes true, once: the conditions that hold are
 * kept per rule (`_local/alert-state:<rule>`), and a condition still true at the next evaluation does not fire again.
 * It fires again only after it stopped holding (a new cycle's usage below the threshold, a later status change).
 */
interface RuleDoc extends BaseDoc, AlertRule {
  kind: 'alertRule'
}

export interface NotificationDoc extends BaseDoc, Omit<Notification, 'id' | 'kind' | 'devices'> {
  kind: 'notification'
  /** The rule's condition kind (`kind` is the document's). */
  alertKind: Notification['kind']
}

interface StateDoc extends BaseDoc {
  active: string[]
}

const RULE_PREFIX = 'alertRule:'
const INBOX_PREFIX = 'inbox:'
const DAY_MS = 86_400_000
/**
 * A failed SMS is an alert for this long after it was sent: the rule's state then forgets it (it does not fire again,
 * since it no longer holds), so the state does not grow with every SMS that ever failed.
 */
const SMS_ALERT_DAYS = 30

const ruleDocId = (id: string): string => `${RULE_PREFIX}${id}`
const stateId = (ruleId: string): string => `_local/alert-state:${ruleId}`

export async function listRules(db: Db): Promise<AlertRule[]> {
  const page = await db.allDocs({ include_docs: true, startkey: RULE_PREFIX, endkey: `${RULE_PREFIX}\ufff0` })
  return page.rows.map((r) => toRule(r.doc as unknown as RuleDoc))
}

function toRule(doc: RuleDoc): AlertRule {
  const { _id: _i, _rev: _r, kind: _k, schemaVersion: _s, ...rule } = doc
  return rule
}

/** `weatherUnits`: the workspace's weather units, which a weather rule's threshold is in when it names no unit. */
export async function addRule(db: Db, input: AlertRuleInput, ctx: CallContext, weatherUnits: () => Promise<WeatherUnits>): Promise<AlertRule> {
  const condition = input.condition.kind === 'weather' ? weatherCondition(input, input.condition, await weatherUnits()) : input.condition
  if (await getOrNull(db, ruleDocId(input.id))) {
    throw AppError.withRef('CONFLICT', `An alert rule ${input.id} already exists`, { key: 'alerts.exists', params: { id: input.id } })
  }
  const at = new Date().toISOString()
  const rule: AlertRule = { ...input, condition, createdAt: at }
  assertBulkOk(
    await db.bulkDocs([
      { ...rule, _id: ruleDocId(input.id), kind: 'alertRule', schemaVersion: CURRENT_SCHEMA.alertRule } as RuleDoc,
      auditDoc({ at, actor: ctx.actor, action: 'alerts.add', target: `alert/${input.id}`, subject: input.name, outcome: 'ok', after: rule }),
    ]),
  )
  return rule
}

/**
 * Moves the rule to the trash, with its state: restored, it does not fire again for what it had notified already (a
 * condition that still holds). The state is this computer's (`_local`), as the trash entry is (no team share carries it).
 */
export async function removeRule(db: Db, id: string, ctx: CallContext): Promise<{ trashId: string }> {
  const doc = await getOrNull<RuleDoc>(db, ruleDocId(id))
  if (!doc) throw AppError.withRef('NOT_FOUND', `There is no alert rule ${id}`, { key: 'alerts.notFound', params: { id } })
  const state = await getOrNull<StateDoc>(db, stateId(id))
  const at = new Date().toISOString()
  const trash = newTrashDoc({ item: 'alertRule', target: `alert/${id}`, label: doc.name, deletedAt: at, deletedBy: ctx.actor, docs: state ? [doc, state] : [doc] })
  const trashId = toTrashEntry(trash).id
  assertBulkOk(
    await db.bulkDocs([
      { _id: doc._id, _rev: doc._rev, _deleted: true } as unknown as BaseDoc,
      trash,
      auditDoc({ at, actor: ctx.actor, action: 'alerts.remove', target: `alert/${id}`, subject: doc.name, outcome: 'ok', before: toRule(doc), after: { trash: trashId } }),
    ]),
  )
  if (state) await db.remove(state._id, state._rev)
  return { trashId }
}

interface Hit {
  key: string
  sim: Notification['sim']
  account: string | null
  value: number | string
  device?: DeviceKey
}

/** The conditions of `rule` that hold for one SIM now. */
function simHits(rule: AlertRule, doc: SimCacheDoc, now: number): Hit[] {
  const sim = doc.sim
  const account = doc.inventory?.account || null
  if (rule.carriers.length > 0 && !rule.carriers.includes(sim.carrier)) return []
  if (rule.accounts.length > 0 && (account === null || !rule.accounts.includes(account))) return []
  const simId = doc._id.slice(doc._id.indexOf(':', 'cache:sim:'.length) + 1)
  const base = `${sim.carrier}:${simId}`
  const hit = (value: number | string, suffix = ''): Hit[] => [{ key: `${base}${suffix}`, sim: { carrier: sim.carrier, simId }, account, value }]
  const c = rule.condition
  const usage = sim.monthToDate
  switch (c.kind) {
    case 'dataAbove':
      return usage && usage.dataBytes > c.bytes ? hit(usage.dataBytes) : []
    case 'dataShare': {
      const allowance = sim.ratePlan === null ? undefined : c.allowances[sim.ratePlan]
      return usage && allowance !== undefined && usage.dataBytes > (allowance * c.percent) / 100 ? hit(usage.dataBytes) : []
    }
    case 'smsAbove':
      return usage && usage.smsCount > c.count ? hit(usage.smsCount) : []
    case 'statusChanged': {
      const change = doc.inventory?.statusChange
      if (!change || (c.to.length > 0 && !c.to.includes(change.to))) return []
      return hit(`${change.from}→${change.to}`, `@${change.at}`)
    }
    case 'noSession': {
      // Only SIMs whose session was read: "never seen" is not known of a SIM nobody asked about.
      if (!doc.inventory?.usageAt) return []
      const last = doc.inventory.lastSessionAt
      const days = last === null ? null : Math.floor((now - Date.parse(last)) / DAY_MS)
      return days === null || days >= c.days ? hit(days ?? 'never') : []
    }
    case 'syncFailing':
    case 'smsFailed':
    case 'weather':
      return []
  }
}

const SIM_LEVEL = new Set<string>(['dataAbove', 'dataShare', 'smsAbove', 'statusChanged', 'noSession'])

/**
 * Evaluates every rule (or only those of `accounts`' SIMs after a sync; only the weather rules with `weatherOnly`,
 * after a weather reading) and writes what newly fired, with the rule's state, to the inbox. Returns the notifications
 * written.
 */
export async function evaluateAlerts(db: Db, options: { now: Date; accounts: readonly string[]; weatherOnly?: boolean }): Promise<NotificationDoc[]> {
  const rules = (await listRules(db)).filter((r) => !options.weatherOnly || r.condition.kind === 'weather')
  if (rules.length === 0) return []
  const hits = new Map<string, Hit[]>(rules.map((r) => [r.id, []]))
  const now = options.now.getTime()
  const weatherRules = rules.filter((r) => r.condition.kind === 'weather')
  for (const [id, found] of await weatherHits(db, weatherRules)) hits.get(id)!.push(...found.map((h) => ({ ...h, sim: null, account: null })))
  const simRules = rules.filter((r) => SIM_LEVEL.has(r.condition.kind))
  if (simRules.length > 0) {
    for await (const page of allSimDocs(db)) {
      for (const doc of page) for (const rule of simRules) hits.get(rule.id)!.push(...simHits(rule, doc, now))
    }
  }
  for (const rule of rules) {
    const c = rule.condition
    if (c.kind !== 'syncFailing') continue
    for (const account of options.accounts) {
      if (rule.accounts.length > 0 && !rule.accounts.includes(account)) continue
      if (rule.carriers.length > 0 && !rule.carriers.some((carrier) => account.startsWith(`${carrier}:`))) continue
      const cp = await readCheckpoint(db, account)
      if (cp.failures >= c.failures) hits.get(rule.id)!.push({ key: account, sim: null, account, value: cp.failures })
    }
  }
  const smsRules = rules.filter((r) => r.condition.kind === 'smsFailed')
  if (smsRules.length > 0) {
    const since = now - SMS_ALERT_DAYS * DAY_MS
    for await (const page of sentSmsPages(db)) {
      for (const sms of page) {
        if (sms.status !== 'Failed' || Date.parse(sms.sentAt) < since) continue
        for (const rule of smsRules) {
          if (rule.carriers.length > 0 && !rule.carriers.includes(sms.carrier)) continue
          if (rule.accounts.length > 0 && !rule.accounts.includes(sms.account)) continue
          hits.get(rule.id)!.push({ key: `${sms.carrier}:sms:${sms.smsMsgId}`, sim: { carrier: sms.carrier, simId: sms.iccid }, account: sms.account, value: sms.smsMsgId })
        }
      }
    }
  }
  const firedAt = options.now.toISOString()
  const written: NotificationDoc[] = []
  for (const rule of rules) {
    const state = await getOrNull<StateDoc>(db, stateId(rule.id))
    const before = new Set(state?.active ?? [])
    const current = hits.get(rule.id)!
    // An account-level rule only knows the accounts it was evaluated for: the others keep their state.
    const kept = rule.condition.kind === 'syncFailing' ? [...before].filter((k) => !options.accounts.includes(k)) : []
    const fresh = current.filter((h) => !before.has(h.key))
    const docs = fresh.map((h, i): NotificationDoc => ({
      _id: `${INBOX_PREFIX}${firedAt}:${String(i).padStart(6, '0')}:${randomBytes(3).toString('hex')}`,
      kind: 'notification',
      schemaVersion: CURRENT_SCHEMA.notification,
      ruleId: rule.id,
      ruleName: rule.name,
      alertKind: rule.condition.kind,
      sim: h.sim,
      ...(h.device ? { device: h.device } : {}),
      account: h.account,
      value: h.value,
      firedAt,
      read: false,
    }))
    // Notifications first, then the state: a crash between them fires again rather than never.
    if (docs.length > 0) assertBulkOk(await db.bulkDocs(docs))
    written.push(...docs)
    const active = [...kept, ...current.map((h) => h.key)]
    if (state || active.length > 0) await db.put({ _id: stateId(rule.id), ...(state ? { _rev: state._rev } : {}), kind: 'alertState', schemaVersion: CURRENT_SCHEMA.alertState, active } as StateDoc)
  }
  return written
}

export async function listInbox(db: Db, options: { unreadOnly: boolean; offset: number; limit: number }): Promise<{ total: number; unread: number; items: Omit<Notification, 'devices'>[] }> {
  const page = await db.allDocs({ include_docs: true, startkey: `${INBOX_PREFIX}\ufff0`, endkey: INBOX_PREFIX, descending: true })
  const all = page.rows.map((r) => toNotification(r.doc as unknown as NotificationDoc))
  const unread = all.filter((n) => !n.read).length
  const chosen = options.unreadOnly ? all.filter((n) => !n.read) : all
  return { total: chosen.length, unread, items: chosen.slice(options.offset, options.offset + options.limit) }
}

export async function unreadCount(db: Db): Promise<number> {
  return (await listInbox(db, { unreadOnly: true, offset: 0, limit: 1 })).total
}

/**
 * One notification is named by its rule and SIM, device or account; several by their count alone, which Activity
 * words in the operator's language (`after.count`).
 */
function inboxTarget(changed: readonly NotificationDoc[]): { target: string; subject?: string } {
  if (changed.length !== 1) return { target: `inbox/${changed.length}` }
  const n = changed[0]!
  const about = n.sim?.simId ?? (n.device ? `${n.device.typeId}/${n.device.deviceId}` : n.account)
  return { target: n._id, subject: about ? `${n.ruleName} · ${about}` : n.ruleName }
}

export async function markRead(db: Db, ids: readonly string[], read: boolean, ctx: CallContext): Promise<number> {
  const page = await db.allDocs({ keys: [...ids], include_docs: true })
  const docs = page.rows.flatMap((r) => ('doc' in r && r.doc && (r.doc as unknown as NotificationDoc).kind === 'notification' ? [r.doc as unknown as NotificationDoc] : []))
  if (docs.length === 0) throw AppError.withRef('NOT_FOUND', 'None of these notifications exists', { key: 'inbox.notFound' })
  const changed = docs.filter((d) => d.read !== read).map((d) => ({ ...d, read }))
  if (changed.length === 0) return 0
  assertBulkOk(
    await db.bulkDocs([
      ...changed,
      auditDoc({ actor: ctx.actor, action: read ? 'inbox.read' : 'inbox.unread', ...inboxTarget(changed), outcome: 'ok', after: { count: changed.length } }),
    ] as BaseDoc[]),
  )
  return changed.length
}

function toNotification(doc: NotificationDoc): Omit<Notification, 'devices'> {
  return {
    id: doc._id,
    ruleId: doc.ruleId,
    ruleName: doc.ruleName,
    kind: doc.alertKind,
    sim: doc.sim,
    ...(doc.device ? { device: doc.device } : {}),
    account: doc.account,
    value: doc.value,
    firedAt: doc.firedAt,
    read: doc.read,
  }
}
