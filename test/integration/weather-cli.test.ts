import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/core'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))
const BLANK = { FIELDLINE_WEATHER_PROVIDER: '', FIELDLINE_WEATHER_URL: '', FIELDLINE_WEATHER_API_KEY: '' }

describe('fieldline weather and fieldline devices locate', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let peer: WeatherPeer
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], { env: { ...process.env, ...BLANK, ...env } })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('close', (code) => resolve({ code, out, err }))
    })
  const twc = () => ({ FIELDLINE_WEATHER_PROVIDER: 'twc', FIELDLINE_WEATHER_URL: peer.url, FIELDLINE_WEATHER_API_KEY: TWC_TEST_KEY })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    peer = await startWeatherPeer()
    expect((await run(['devices', 'add', 'pump', 'p-1'])).code).toBe(0)
  })
  afterAll(async () => {
    await peer.close()
    await cleanup()
  })

  it('places a device (negative degrees too), and refuses a position it would misread with exit 2', async () => {
    expect(await run(['devices', 'locate', 'pump', 'p-1', '--lat', '45,19', '--lon', '5'])).toMatchObject({ code: 2, err: expect.stringContaining('--lat must be a number in decimals') })
    expect(await run(['devices', 'locate', 'pump', 'p-1', '--lat', '91', '--lon', '5'])).toMatchObject({ code: 2, err: expect.stringContaining('--lat 91 is outside −90 to 90') })
    expect(await run(['devices', 'locate', 'pump', 'p-1', '--lat', '45'])).toMatchObject({ code: 2, err: expect.stringContaining('give both --lat and --lon') })
    const placed = await run(['devices', 'locate', 'pump', 'p-1', '--lat', String(SITES.gale.latitude), '--lon', String(SITES.gale.longitude), '--elevation', '12'])
    expect(placed).toMatchObject({ code: 0, out: 'pump/p-1 is at 48.39, -4.49\n' })
    const json = await run(['--json', 'devices', 'locate', 'pump', 'p-1', '--lat', '48.39', '--lon', '-4.49', '--accuracy', '5'])
    expect(JSON.parse(json.out)).toMatchObject({ latitude: 48.39, longitude: -4.49, accuracy: 5, source: 'operator' })
  })

  it('prints the weather at the device in the units asked for, TWC from FIELDLINE_WEATHER_* variables', async () => {
    const r = await run(['weather', 'pump', 'p-1', '--units', 'e'], twc())
    expect(r.code).toBe(0)
    expect(r.out).toContain('pump/p-1 at 48.39, -4.49\n')
    expect(r.out).toMatch(/temperature {2}-?\d+ °F \(predicted max -?\d+ °F, min -?\d+ °F\)/)
    expect(r.out).toMatch(/wind {9}\d+ mph from 247° \(WSW\), gusts \d+ mph/)
    expect(r.out).toContain('Weather data provided by The Weather Company')
    expect(peer.requests().at(-1)!.query.get('units')).toBe('e')
    expect(r.out + r.err).not.toContain(TWC_TEST_KEY)
    expect(await run(['weather', 'pump', 'p-1', '--units', 'x'], twc())).toMatchObject({ code: 2, err: expect.stringContaining('--units must be m, e, h or s') })
  })

  it('says plainly that the free Open-Meteo tier is non-commercial, and shows the grid point', async () => {
    // Open-Meteo's readings expire on the quarter-hour: two runs either side of one would find the cache expired.
    const toQuarter = 15 * 60_000 - (Date.now() % (15 * 60_000))
    if (toQuarter < 30_000) await new Promise((resolve) => setTimeout(resolve, toQuarter + 1_000))
    const r = await run(['weather', 'pump', 'p-1', '--refresh'], { FIELDLINE_WEATHER_URL: peer.url })
    expect(r.code).toBe(0)
    expect(r.out).toContain('(grid 48.4, -4.5, 484 m)')
    expect(r.out).toMatch(/visibility {3}\d+(\.\d)? km/)
    expect(r.err).toContain('non-commercial use only')
    const json = JSON.parse((await run(['--json', 'weather', 'pump', 'p-1'], { FIELDLINE_WEATHER_URL: peer.url })).out) as { fromCache: boolean; reading: { provider: string } }
    expect(json).toMatchObject({ fromCache: true, reading: { provider: 'open-meteo' } })
  })

  it('shows the cached reading with the reason when the provider cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const r = await run(['weather', 'pump', 'p-1', '--refresh'], { FIELDLINE_WEATHER_URL: `http://127.0.0.1:${port}` })
    expect(r.code).toBe(0)
    expect(r.out).toContain('pump/p-1 at 48.39, -4.49')
    expect(r.err).toMatch(/the provider could not be asked \(Cannot reach Open-Meteo at 127\.0\.0\.1:\d+.*\); this is the reading as of/)
  })

  // Cold trial: serve started with FIELDLINE_WEATHER_API_KEY sent the operator to Extensions → Weather, which the key did not come from.
  it('a key from FIELDLINE_WEATHER_API_KEY that the provider refuses names that variable, not the Weather card', async () => {
    expect((await run(['devices', 'add', 'pump', 'p-key'])).code).toBe(0)
    expect((await run(['devices', 'locate', 'pump', 'p-key', '--lat', String(SITES.gale.latitude), '--lon', String(SITES.gale.longitude)])).code).toBe(0)
    const r = await run(['weather', 'pump', 'p-key', '--refresh'], { ...twc(), FIELDLINE_WEATHER_API_KEY: 'not-a-key-123456' })
    expect(r.code).not.toBe(0)
    expect(r.err).toContain('The Weather Company refused the API key (HTTP 401 CDN-0001: Invalid apiKey.); check FIELDLINE_WEATHER_API_KEY')
    expect(r.err).not.toContain('not-a-key-123456')
  })

  it('refuses bad FIELDLINE_WEATHER_* variables by name, and a device without a location', async () => {
    expect(await run(['weather', 'pump', 'p-1'], { FIELDLINE_WEATHER_PROVIDER: 'accuweather' })).toMatchObject({ code: 2, err: expect.stringContaining('FIELDLINE_WEATHER_PROVIDER must be one of') })
    expect(await run(['weather', 'pump', 'p-1'], { FIELDLINE_WEATHER_PROVIDER: 'twc' })).toMatchObject({ code: 2, err: expect.stringContaining('FIELDLINE_WEATHER_API_KEY is required') })
    // A URL the variable gives is refused naming the variable, as the historian's are, and without its password.
    const withPassword = await run(['weather', 'pump', 'p-1'], { FIELDLINE_WEATHER_URL: 'http://ops:hunter2@127.0.0.1:1' })
    expect(withPassword).toMatchObject({ code: 2, err: expect.stringContaining('FIELDLINE_WEATHER_URL must be an https:// URL') })
    expect(withPassword.err).not.toContain('hunter2')
    expect(await run(['weather', 'pump', 'p-1'], { FIELDLINE_WEATHER_URL: '127.0.0.1:1' })).toMatchObject({ code: 2, err: expect.stringContaining('FIELDLINE_WEATHER_URL must be an https:// URL') })
    expect((await run(['devices', 'add', 'pump', 'p-2'])).code).toBe(0)
    expect(await run(['weather', 'pump', 'p-2'], twc())).toMatchObject({ code: 1, err: expect.stringContaining('has no location') })
  })

  it('lists the cached weather as device list columns, and adds a weather alert rule that fires into the inbox', async () => {
    // p-1 holds an Open-Meteo reading in the workspace's (metric) units from the tests above; p-2 has no location.
    const listed = await run(['devices', 'list', '--columns', 'deviceId,weatherPhrase,weatherTemperature,weatherWindSpeed,weatherAsOf', '--sort', 'weatherWindSpeed', '--format', 'csv'])
    expect(listed.code).toBe(0)
    const [header, p1, p2] = listed.out.trimEnd().split('\r\n')
    expect(header).toBe('deviceId,weatherPhrase,weatherTemperature,weatherWindSpeed,weatherAsOf')
    expect(p1).toMatch(/^p-1,[^,]+,-?\d+(\.\d)? °C,72\.4 km\/h,\d{4}-\d\d-\d\dT[\d:.]+Z$/)
    expect(p2).toBe('p-2,,,,')
    expect(JSON.parse((await run(['--json', 'devices', 'list', '--filter', 'weather=none', '--columns', 'deviceId,weatherTemperature'])).out)).toEqual({
      total: 1,
      items: [{ deviceId: 'p-2', weatherTemperature: null }],
    })

    expect(await run(['alerts', 'add', 'gale', '--name', 'Gale', '--kind', 'weather', '--above', '50'])).toMatchObject({ code: 2, err: expect.stringContaining('needs --measure') })
    expect(await run(['alerts', 'add', 'gale', '--name', 'Gale', '--kind', 'weather', '--measure', 'windSpeed', '--above', '50', '--below', '5'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('one of --above or --below'),
    })
    expect(await run(['alerts', 'add', 'gale', '--name', 'Gale', '--kind', 'weather', '--measure', 'windSpeed', '--above', '50', '--unit', '°C'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('km/h, mph, m/s, kn'),
    })
    const added = await run(['--json', 'alerts', 'add', 'gale', '--name', 'Gale', '--kind', 'weather', '--measure', 'windSpeed', '--above', '50'])
    expect(added.code).toBe(0)
    expect(JSON.parse(added.out)).toMatchObject({ id: 'gale', condition: { kind: 'weather', measure: 'windSpeed', comparison: 'above', threshold: 50, unit: 'km/h' } })
    expect(JSON.parse((await run(['--json', 'alerts', 'check'])).out)).toEqual({ fired: 1, unread: 1 })
    expect((await run(['alerts', 'inbox'])).out).toMatch(/\tunread\tgale\tpump\/p-1\t72\.4 km\/h\tinbox:/)
    // Ten processes, each a few seconds on a shared machine.
  }, 180_000)
})
