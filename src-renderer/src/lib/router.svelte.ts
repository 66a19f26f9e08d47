export type Route =
  | { name: 'extensions' }
  | { name: 'devices' }
  | { name: 'device'; typeId: string; deviceId: string }
  | { name: 'packages' }
  | { name: 'package'; bundleId: string }
  | { name: 'mbed' }
  | { name: 'team' }
  | { name: 'activity' }
  | { name: 'settings' }
  | { name: 'trash' }

export type TopLevel = 'extensions' | 'devices' | 'packages' | 'mbed' | 'team' | 'activity' | 'settings'

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part)
  } catch {
    return null
  }
}

/** Hash routes, because the Electron window loads the renderer from file:// where paths cannot route. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/')
  switch (parts[0]) {
    case 'extensions':
    case 'mbed':
    case 'team':
    case 'activity':
    case 'settings':
    case 'trash':
      return { name: parts[0] }
    case 'devices': {
      const typeId = parts[1] !== undefined ? decode(parts[1]) : null
      const deviceId = parts[2] !== undefined ? decode(parts[2]) : null
      return typeId && deviceId ? { name: 'device', typeId, deviceId } : { name: 'devices' }
    }
    case 'packages': {
      const bundleId = parts[1] !== undefined && parts[1] !== '' ? decode(parts[1]) : null
      return bundleId ? { name: 'package', bundleId } : { name: 'packages' }
    }
    default:
      return { name: 'devices' }
  }
}

export function href(route: Route): string {
  if (route.name === 'device') {
    return `#/devices/${encodeURIComponent(route.typeId)}/${encodeURIComponent(route.deviceId)}`
  }
  if (route.name === 'package') return `#/packages/${encodeURIComponent(route.bundleId)}`
  return `#/${route.name}`
}

export function topLevel(route: Route): TopLevel {
  if (route.name === 'device') return 'devices'
  // The Trash view is reached from Settings.
  if (route.name === 'trash') return 'settings'
  return route.name === 'package' ? 'packages' : route.name
}

class Router {
  route = $state<Route>(parseRoute(location.hash))

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parseRoute(location.hash)
    })
  }

  go(route: Route): void {
    location.hash = href(route)
  }
}

export const router = new Router()
