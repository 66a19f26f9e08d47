import { FakeApi } from './fake-api'

/**
 * The renderer's `src/lib/api` module in a renderer spec, mocked with one line:
 *
 *   vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))
 *
 * vi.mock is hoisted above the imports, so its factory cannot name the spec's own variables (which is why each spec
 * used to keep a vi.hoisted holder filled by the factory), but it may import a module: the code under test gets this
 * module as its `api`, and the spec imports the same instance from here to answer the calls. Each spec file has its
 * own module registry, hence its own FakeApi.
 */
export const api = new FakeApi()
