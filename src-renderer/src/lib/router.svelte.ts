export type Route =
  | { name: 'extensions' }
  | { name: 'devices' }
  | { name: 'sims' }
  | { name: 'device'; typeId: string; deviceId: string }
  | { name: 'packages' }
  | { name: 'package'; bundleId: string }
  | { name: 'mbed' }
  | { name: 'ledger' }
  | { name: 'team' }
  | { name: 'activity' }
  | { name: 'settings' }
  | { name: 'trash' }
  | { name: 'inbox' }
  | { name: 'alerts' }
  | { name: 'jobs' }
  | { name: 'job'; jobId: string }

export type TopLevel = 'extensions' | 'devices' | 'sims' | 'packages' | 'mbed' | 'ledger' | 'inbox' | 'jobs' | 'team' | 'activity' | 'settings'

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part)
  } catch {
    return null
  }
}

/** The route part of a hash, without its query ("#/devices?type=meter" → "#/devices"). */
function pathOf(hash: string): string {
  const at = hash.indexOf('?')
  return at < 0 ? hash : hash.slice(0, at)
}

/** The query part of a hash (what follows "?"), which a page keeps its view in: filters, sort, columns. */
export function queryOf(hash: string): string {
  const at = hash.indexOf('?')
  return at < 0 ? '' : hash.slice(at + 1)
}

/** Hash routes, because the Electron window loads the renderer from file:// where paths cannot route. */
export function parseRoute(hash: string): Route {
  const parts = pathOf(hash).replace(/^#\/?/, '').split('/')
  switch (parts[0]) {
    case 'extensions':
    case 'sims':
    case 'mbed':
    case 'ledger':
    case 'team':
    case 'activity':
    case 'settings':
    case 'trash':
    case 'inbox':
    case 'alerts':
      return { name: parts[0] }
    case 'devices': {
      const typeId = parts[1] !== undefined ? decode(parts[1]) : null
      const deviceId = parts[2] !== undefined ? decode(parts[2]) : null
      return typeId && deviceId ? { name: 'device', typeId, deviceId } : { name: 'devices' }
    }
    case 'jobs': {
      const jobId = parts[1] !== undefined && parts[1] !== '' ? decode(parts[1]) : null
      return jobId ? { name: 'job', jobId } : { name: 'jobs' }
    }
    case 'packages': {
      const bundleId = parts[1] !== undefined && parts[1] !== '' ? decode(parts[1]) : null
      return bundleId ? { name: 'package', bundleId } : { name: 'packages' }
    }
    default:
      return { name: 'devices' }
  }
}

export function href(route: Route, query = ''): string {
  if (query) return `${href(route)}?${query}`
  if (route.name === 'device') {
    return `#/devices/${encodeURIComponent(route.typeId)}/${encodeURIComponent(route.deviceId)}`
  }
  if (route.name === 'package') return `#/packages/${encodeURIComponent(route.bundleId)}`
  if (route.name === 'job') return `#/jobs/${encodeURIComponent(route.jobId)}`
  return `#/${route.name}`
}

export function topLevel(route: Route): TopLevel {
  if (route.name === 'device') return 'devices'
  // The Trash view is reached from Settings.
  if (route.name === 'trash') return 'settings'
  // The alert rules are reached from the Inbox, where what they fire lands.
  if (route.name === 'alerts') return 'inbox'
  if (route.name === 'job') return 'jobs'
  return route.name === 'package' ? 'packages' : route.name
}

/**
 * Pages whose side-menu link returns to the view they were left in this session (cold trial: an operator filtered the
 * device list, opened another page from the menu, came back by the menu and found the list's default view; Back kept
 * it). The page's own clear-filters control is the way back to the default.
 */
const KEPT_VIEWS: ReadonlySet<TopLevel> = new Set(['devices'])

class Router {
  route = $state<Route>(parseRoute(location.hash))
  /** The page's view in the address; changing it alone is not a navigation (the page keeps the focus). */
  query = $state(queryOf(location.hash))
  /** The last query of each page of KEPT_VIEWS, in memory: a new tab starts from the default views. */
  #kept = $state<Partial<Record<TopLevel, string>>>({})

  constructor() {
    window.addEventListener('hashchange', () => this.#follow())
    this.#keep()
  }

  #follow(): void {
    const route = parseRoute(location.hash)
    if (href(route) !== href(this.route)) this.route = route
    this.query = queryOf(location.hash)
    this.#keep()
  }

  #keep(): void {
    const name = this.route.name
    if (KEPT_VIEWS.has(name as TopLevel)) this.#kept[name as TopLevel] = this.query
  }

  /** Where the side menu's link to a page leads: the view it was left in, for a page of KEPT_VIEWS. */
  menuHref(page: TopLevel): string {
    return href({ name: page }, this.#kept[page] ?? '')
  }

  go(route: Route, query = ''): void {
    location.hash = href(route, query)
  }

  /** The control whose change made the current history entry, and that entry's address. */
  #pushedBy: { control: string; hash: string } | null = null

  /**
   * A new view of the same page: Back returns to the one before when `push`, else the address is only kept current (each
   * keystroke of a search). Changes made one after another by the same `control` make one step: the arrows through a
   * filter's choices change it once per value passed, and Back went through every one of them (cold trial).
   */
  setQuery(query: string, push: boolean, control?: string): void {
    const next = href(this.route, query)
    if (next === href(this.route, this.query)) return
    const again = push && control !== undefined && this.#pushedBy?.control === control && this.#pushedBy.hash === location.hash
    if (push && !again) location.hash = next
    else history.replaceState(history.state, '', next)
    this.#pushedBy = push && control !== undefined ? { control, hash: location.hash } : null
    this.#follow()
  }
}

export const router = new Router()
