export type Route =
  | { name: 'extensions' }
  | { name: 'devices' }
  | { name: 'device'; typeId: string; deviceId: string }
  | { name: 'team' }
  | { name: 'activity' }
  | { name: 'settings' }

export type TopLevel = 'extensions' | 'devices' | 'team' | 'activity' | 'settings'

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
    case 'team':
    case 'activity':
    case 'settings':
      return { name: parts[0] }
    case 'devices': {
      const typeId = parts[1] !== undefined ? decode(parts[1]) : null
      const deviceId = parts[2] !== undefined ? decode(parts[2]) : null
      return typeId && deviceId ? { name: 'device', typeId, deviceId } : { name: 'devices' }
    }
    default:
      return { name: 'devices' }
  }
}

export function href(route: Route): string {
  if (route.name === 'device') {
    return `#/devices/${encodeURIComponent(route.typeId)}/${encodeURIComponent(route.deviceId)}`
  }
  return `#/${route.name}`
}

export function topLevel(route: Route): TopLevel {
  return route.name === 'device' ? 'devices' : route.name
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
