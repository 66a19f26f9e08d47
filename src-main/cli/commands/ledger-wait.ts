/**
 * `ledger submit`'s wait for its item's end, and the lines it says on stderr while the item is tried again.
 */
import type { ForwardItem } from '../../../src-shared/models/ledger'
import type { Runtime } from '../runtime'

/** Where a target's node is, for a waiting line: its RPC URL (EVM) or Gateway peer (Fabric). */
async function nodeOf(rt: Pick<Runtime, 'call'>, routeId: string): Promise<string> {
  const route = (await rt.call('ledger:routes', {})).items.find((r) => r.id === routeId)
  const target = (await rt.call('ledger:targets', {})).items.find((t) => t.id === route?.targetId)
  if (!target) return 'its target'
  return `target ${target.id} at ${target.settings.kind === 'evm' ? target.settings.rpcUrl : target.settings.endpoint}`
}

/**
 * The node of a route, read once and kept until the ledger's routes or targets change on this core: the lists of
 * every route and target were read again at each try said, and a node away for an hour is tried hundreds of times.
 */
function nodeNames(rt: Pick<Runtime, 'call' | 'core'>): { of(routeId: string): Promise<string>; close(): void } {
  const known = new Map<string, Promise<string>>()
  const off = rt.core.bus.subscribe((event) => {
    if (event === 'ledger:changed') known.clear()
  })
  return {
    of(routeId) {
      let name = known.get(routeId)
      if (!name) {
        name = nodeOf(rt, routeId)
        known.set(routeId, name)
        // A failed read is not kept: the next try asks again.
        name.catch(() => known.delete(routeId))
      }
      return name
    },
    close: off,
  }
}

/**
 * Waits for the item's end. Each try that fails and is made again (a node down, a link that drops) is said on
 * stderr as it happens: without it the command was silent for as long as the node stayed away (cold trial: a minute
 * of nothing at 2 a.m.), and the operator could not tell a wait from a hang, nor that Ctrl-C loses nothing.
 */
export async function waitFinal(rt: Pick<Runtime, 'call' | 'core' | 'json' | 'err'>, item: ForwardItem): Promise<ForwardItem> {
  const nodes = nodeNames(rt)
  try {
    // A retry is a new next try (a submitted transaction checked again keeps its attempt count).
    let said = item.nextAttemptAt
    for (;;) {
      // Its own item by id: a scan of the queue cost a full read every 100 ms and, past 500 newer items, lost it.
      const now = await rt.call('ledger:item', { itemId: item.id })
      if (now.state === 'committed' || now.state === 'failed') return now
      if (now.lastError && now.nextAttemptAt !== said && !rt.json) {
        said = now.nextAttemptAt
        const next = now.nextAttemptAt ? `, next try at ${now.nextAttemptAt}` : ''
        rt.err(
          `fieldline: ${now.eventKey} not committed yet (${now.state}, attempt ${now.attempts}): ${now.lastError.name}: ${now.lastError.message} (${await nodes.of(now.routeId)})${next}. ` +
            'It stays queued and is tried again by itself; Ctrl-C stops waiting, and the desktop app, serve or `ledger run` sends it',
        )
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    nodes.close()
  }
}
