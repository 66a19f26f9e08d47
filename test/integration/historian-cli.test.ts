/**
 * `fieldline historian` as processes (registerHistorian on a bare commander program, run with `node --import tsx`),
 * configured by environment variables, against Debian's mosquitto and the CouchDB peer:
 * - run until SIGTERM: one line per state change, a summary, exit 0, no secret in the output; exit 2 for a bad
 *   configuration; exit 1 when the broker refuses the credentials;
 * - killed with SIGKILL mid-stream while the destination is away: nothing the forwarder had acknowledged is lost, and
 *   what was published while it was dead waits at the broker (persistent session);
 * - two headless forwarders in one shared subscription: each event stored once, both doing part of the work;
 * - status (running, then stopped with what its queues hold) and history as CSV and JSON Lines.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { tempDir } from '../helpers/core'
import { killCommands, startCli, type CommandRun } from '../helpers/cli-process'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()
const POLL = { timeout: 30_000, interval: 100 }

type Run = CommandRun

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  killCommands()
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The real CLI; TEST_DATA_DIR and TEST_JSON become its global options. */
function run(env: Record<string, string>, args: string[]): Run {
  const { TEST_DATA_DIR: dir, TEST_JSON: json, ...rest } = env
  const globals = [...(dir ? ['--data-dir', dir] : []), ...(json === '1' ? ['--json'] : [])]
  return startCli([...globals, 'historian', ...args], rest, (k) => !k.startsWith('FIELDLINE_'))
}

describe.skipIf(skip)('fieldline historian', () => {
  let broker: Mosquitto
  let couch: CouchPeer

  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 0, auth: { username: 'historian', password: 'mqtt-secret-password' } })
    couch = await startCouchPeer({ apiKeys: { 'iam-secret-api-key': 'manager' } })
  })
  afterAll(async () => {
    await couch?.close()
    await broker?.stop()
  })

  async function dataDir(): Promise<string> {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    return t.dir
  }

  const env = (dir: string, db: string, extra: Record<string, string> = {}): Record<string, string> => ({
    TEST_DATA_DIR: dir,
    FIELDLINE_MQTT_URL: broker.url,
    FIELDLINE_MQTT_CLIENT_ID: 'a:testorg:historian',
    FIELDLINE_MQTT_USERNAME: 'historian',
    FIELDLINE_MQTT_PASSWORD: 'mqtt-secret-password',
    FIELDLINE_HISTORIAN_INSTANCE: `cli-${db}`,
    FIELDLINE_HISTORIAN_MQTT_VERSION: '5',
    FIELDLINE_HISTORIAN_COUCH_URL: couch.url,
    FIELDLINE_HISTORIAN_COUCH_IAM_URL: couch.iamUrl,
    FIELDLINE_HISTORIAN_COUCH_API_KEY: 'iam-secret-api-key',
    FIELDLINE_HISTORIAN_COUCH_DB: db,
    ...extra,
  })

  async function publisher(): Promise<MqttClient> {
    const c = await connectAsync(broker.url, { clientId: `pub-${Math.random().toString(36).slice(2)}`, username: 'historian', password: 'mqtt-secret-password' })
    cleanups.push(() => c.endAsync())
    return c
  }

  async function publish(c: MqttClient, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, from + count - i) }, (_, k) => c.publishAsync(`iot-2/type/meter/id/m${(i + k) % 9}/evt/usage/fmt/json`, JSON.stringify({ n: i + k }), { qos: 1 })),
      )
    }
  }

  async function stored(db: string): Promise<number[]> {
    const dbs = (await couch.databases()).filter((d) => d.startsWith(`iotp_testorg_${db}_2`))
    const docs = (await Promise.all(dbs.map((d) => couch.docs(d)))).flat()
    return docs.map((d) => (d.data as { n: number }).n).sort((a, b) => a - b)
  }

  const connected = (r: Run): boolean => /historian mqtt connected/.test(r.stderr())
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

  it('runs until SIGTERM: a line per state change, a summary, exit 0, no secrets in the output', async () => {
    const dir = await dataDir()
    const r = run(env(dir, 'term'), ['run'])
    await expect.poll(() => connected(r), POLL).toBe(true)
    const pub = await publisher()
    await publish(pub, 0, 30)
    // Event ids the platform does not allow: the topic names no device event, so nothing is stored, but they are counted.
    await pub.publishAsync('iot-2/type/meter/id/m1/evt/=2-5/fmt/json', '{}', { qos: 1 })
    await pub.publishAsync('iot-2/type/meter/id/m1/evt/@SUM(1)/fmt/json', '{}', { qos: 1 })
    await expect.poll(() => stored('term'), POLL).toEqual(range(30))
    await expect.poll(() => r.stderr(), POLL).toMatch(/historian ignored \d+ messages on topics that name no device event \(\d+ in all; last: iot-2\/type\/meter\/id\/m1\/evt\//)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    const lines = r.stderr().trim().split('\n')
    expect(lines.filter((l) => /historian (starting|running|stopping|stopped)$/.test(l)).map((l) => /historian (\w+)$/.exec(l)?.[1])).toEqual(['starting', 'running', 'stopping', 'stopped'])
    expect(lines.some((l) => /historian destination couchdb\/env connected$/.test(l))).toBe(true)
    expect(r.stderr()).toMatch(
      /historian summary: 30 events received, 0 matched no rule, 0 could not be queued, 2 messages on topics that name no device event; couchdb\/env: 30 stored, 0 refused, 0 dropped, 0 still queued/,
    )
    expect(r.stderr()).not.toContain('mqtt-secret-password')
    expect(r.stderr()).not.toContain('iam-secret-api-key')
  })

  // Fourteen processes one after another, each loading the whole command tree: seconds each on a busy machine, hence the budget.
  it('exits 2 for a configuration that cannot work, and 1 when the broker refuses the credentials', { timeout: 240_000 }, async () => {
    const dir = await dataDir()
    const noDest = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_URL: '' }), ['run'])
    expect(await noDest.exit).toBe(2)
    expect(noDest.stderr()).toContain('No destination')
    const share = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_SHARE_GROUP: 'g', FIELDLINE_HISTORIAN_MQTT_VERSION: '4' }), ['run'])
    expect(await share.exit).toBe(2)
    expect(share.stderr()).toContain('needs MQTT 5')
    const zone = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_TIME_ZONE: 'Mars/Olympus' }), ['run'])
    expect(await zone.exit).toBe(2)
    expect(zone.stderr()).toContain('Unknown time zone')
    // Cold trial: no profile and no variables said "invalid historian configuration: … add one in Extensions".
    for (const args of [['run'], ['history', 'meter', 'm1', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z']]) {
      const none = run({ TEST_DATA_DIR: dir }, args)
      expect(await none.exit).toBe(2)
      expect(none.stderr()).toContain('fieldline: no historian profile in this data directory: add one in the app (Extensions), or set the FIELDLINE_HISTORIAN_* variables')
    }
    const noBroker = run(env(dir, 'bad', { FIELDLINE_MQTT_URL: '' }), ['run'])
    expect(await noBroker.exit).toBe(2)
    expect(noBroker.stderr()).toContain('FIELDLINE_MQTT_URL is not set')
    const small = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_QUEUE_SIZE: '5' }), ['run'])
    expect(await small.exit).toBe(2)
    expect(small.stderr()).toContain('FIELDLINE_HISTORIAN_QUEUE_SIZE is too small: at least 100')
    // Not a URL: refused at start naming the variable, not tried as the host "notaurl" (cold trial).
    const notUrl = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_URL: 'notaurl' }), ['run'])
    expect(await notUrl.exit).toBe(2)
    expect(notUrl.stderr()).toContain('FIELDLINE_HISTORIAN_COUCH_URL must be an https:// URL')
    const insecure = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_URL: 'http://cloudant.example.com' }), ['run'])
    expect(await insecure.exit).toBe(2)
    expect(insecure.stderr()).toContain('https://')
    // Credentials missing: the variables to set, not the profile form's field.
    const noCredentials = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_API_KEY: '' }), ['run'])
    expect(await noCredentials.exit).toBe(2)
    expect(noCredentials.stderr()).toContain('FIELDLINE_HISTORIAN_COUCH_URL needs FIELDLINE_HISTORIAN_COUCH_API_KEY (IBM Cloud IAM), or FIELDLINE_HISTORIAN_COUCH_USERNAME and')
    const noPassword = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_COUCH_API_KEY: '', FIELDLINE_HISTORIAN_COUCH_USERNAME: 'admin' }), ['run'])
    expect(await noPassword.exit).toBe(2)
    expect(noPassword.stderr()).toContain('FIELDLINE_HISTORIAN_COUCH_USERNAME needs FIELDLINE_HISTORIAN_COUCH_PASSWORD')
    const kafkaNoPassword = run(env(dir, 'bad', { FIELDLINE_HISTORIAN_KAFKA_BROKERS: 'kafka.example.com:9093', FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events' }), ['run'])
    expect(await kafkaNoPassword.exit).toBe(2)
    expect(kafkaNoPassword.stderr()).toContain('FIELDLINE_HISTORIAN_KAFKA_PASSWORD is required')
    const refused = run(env(dir, 'bad', { FIELDLINE_MQTT_PASSWORD: 'wrong-password' }), ['run'])
    expect(await refused.exit).toBe(1)
    expect(refused.stderr()).toMatch(/historian failed: .*\[AUTH_FAILED\]/)
    expect(refused.stderr()).not.toContain('wrong-password')
    // Every destination stopped on an error (the API key refused): headless, nothing can resume it, so it exits 1.
    const badKey = run(env(dir, 'badkey', { FIELDLINE_HISTORIAN_COUCH_API_KEY: 'unknown-api-key' }), ['run'])
    expect(await badKey.exit).toBe(1)
    expect(badKey.stderr()).toMatch(/historian destination couchdb\/env failed: [\s\S]*historian stopping: every destination stopped on an error/)
    // Said once: the reason goes with the forwarder's own 'stopping' line.
    expect(badKey.stderr().match(/historian stopping/g)).toHaveLength(1)
    expect(badKey.stderr()).not.toContain('unknown-api-key')
  })

  it('checks each destination at start: CouchDB out of reach shows before the first event, with each back-off step and its next try', async () => {
    const dir = await dataDir()
    const r = run(env(dir, 'away', { FIELDLINE_HISTORIAN_COUCH_URL: 'https://127.0.0.1:1' }), ['run'])
    const backoffs = (): string[] =>
      r
        .stderr()
        .split('\n')
        .filter((l) => /historian destination couchdb\/env backingOff: .*, next try \S+$/.test(l))
    await expect.poll(() => backoffs().length, POLL).toBeGreaterThanOrEqual(2)
    const nextTries = backoffs().map((l) => / next try (\S+)$/.exec(l)?.[1])
    expect(new Set(nextTries).size).toBe(nextTries.length)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    expect(r.stderr().match(/historian stopping/g)).toHaveLength(1)
  })

  it('killed with SIGKILL mid-stream: nothing it acknowledged is lost, and what was published meanwhile waits at the broker', async () => {
    const dir = await dataDir()
    const pub = await publisher()
    const first = run(env(dir, 'kill'), ['run'])
    await expect.poll(() => connected(first), POLL).toBe(true)
    await publish(pub, 0, 200)
    await expect.poll(async () => (await stored('kill')).length, POLL).toBe(200)
    // The destination goes away: what the forwarder acknowledges from now on waits in its on-disk queue.
    await couch.stop()
    await publish(pub, 200, 1500)
    const status = (): { queued: number } | undefined => {
      try {
        return (JSON.parse(readFileSync(join(dir, 'historian', 'env', 'status.json'), 'utf8')) as { status: { destinations: { queued: number }[] } }).status.destinations[0]
      } catch {
        return undefined
      }
    }
    await expect.poll(() => status()?.queued, POLL).toBe(1500)
    // Killed while the broker is still sending (the last publishes are in flight).
    const more = publish(pub, 1700, 300)
    first.child.kill('SIGKILL')
    await first.exit
    await more
    await couch.start()
    const second = run(env(dir, 'kill'), ['run'])
    await expect.poll(async () => (await stored('kill')).length, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(2000)
    const numbers = await stored('kill')
    expect([...new Set(numbers)]).toEqual(range(2000))
    second.child.kill('SIGTERM')
    expect(await second.exit).toBe(0)
    // Its summary says why it stored more than it received: the first run's queue, sent by this one.
    // Counts grouped as the CLI writes them: 1,500.
    const carried = Number(/still queued \((\d{1,3}(?:,\d{3})*) were queued by an earlier run at the start\)/.exec(second.stderr())?.[1]?.replaceAll(',', ''))
    expect(carried).toBeGreaterThanOrEqual(1500)
  })

  it('two headless forwarders sharing a subscription: each event stored once, both at work', async () => {
    const dirs = [await dataDir(), await dataDir()]
    const share = { FIELDLINE_HISTORIAN_SHARE_GROUP: 'fleet' }
    const a = run({ ...env(dirs[0]!, 'shared', share), FIELDLINE_HISTORIAN_INSTANCE: 'fleet-a' }, ['run'])
    const b = run({ ...env(dirs[1]!, 'shared', share), FIELDLINE_HISTORIAN_INSTANCE: 'fleet-b' }, ['run'])
    await expect.poll(() => connected(a) && connected(b), POLL).toBe(true)
    expect(a.stderr()).toContain('$share/fleet/iot-2/type/+/id/+/evt/+/fmt/+')
    await publish(await publisher(), 0, 600)
    await expect.poll(() => stored('shared'), POLL).toEqual(range(600))
    a.child.kill('SIGTERM')
    b.child.kill('SIGTERM')
    expect(await a.exit).toBe(0)
    expect(await b.exit).toBe(0)
    const received = [a, b].map((r) => Number(/summary: (\d+) events received/.exec(r.stderr())?.[1]))
    expect(received[0]! + received[1]!).toBe(600)
    expect(Math.min(...received)).toBeGreaterThan(0)
  })

  it('status shows the running forwarder, then what its queues hold; history prints CSV and JSON Lines', async () => {
    const dir = await dataDir()
    const r = run(env(dir, 'status'), ['run'])
    await expect.poll(() => connected(r), POLL).toBe(true)
    await publish(await publisher(), 0, 3)
    await expect.poll(() => stored('status'), POLL).toEqual([0, 1, 2])
    await expect
      .poll(async () => {
        const s = run({ TEST_DATA_DIR: dir }, ['status'])
        await s.exit
        return s.stdout()
      }, POLL)
      .toMatch(/^env: running since .* mqtt connected .*3 received[\s\S]*couchdb\/env connected: [\d.]+ events\/s, 3 stored, 0\/1,000,000 queued, 0 dropped/)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    const after = run({ TEST_DATA_DIR: dir, TEST_JSON: '1' }, ['status'])
    expect(await after.exit).toBe(0)
    expect(JSON.parse(after.stdout())).toEqual({
      forwarders: [{ id: 'env', running: false, updatedAt: expect.any(String), status: null, endedAbruptlyAt: null, queues: [{ ref: 'couchdb/env', queued: 0, dropped: 0, oldestQueuedAt: null }] }],
    })

    const historyEnv = {
      TEST_DATA_DIR: dir,
      FIELDLINE_HISTORIAN_ORG: 'testorg',
      FIELDLINE_HISTORIAN_COUCH_URL: couch.url,
      FIELDLINE_HISTORIAN_COUCH_IAM_URL: couch.iamUrl,
      FIELDLINE_HISTORIAN_COUCH_API_KEY: 'iam-secret-api-key',
      FIELDLINE_HISTORIAN_COUCH_DB: 'status',
    }
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const to = new Date(Date.now() + 60_000).toISOString()
    const csv = run(historyEnv, ['history', 'meter', 'm1', '--from', from, '--to', to])
    expect(await csv.exit).toBe(0)
    const rows = csv.stdout().trim().split('\n')
    // One column per field of the data, as the device page's export (models/history-csv.ts).
    expect(rows[0]).toBe('id,typeId,deviceId,eventId,format,timestamp,data.n')
    expect(rows.slice(1)).toEqual([expect.stringMatching(/^testorg:meter:m1:[^,]+,meter,m1,usage,json,[^,]+,1$/)])
    const jsonl = run(historyEnv, ['history', 'meter', 'm2', '--from', from, '--to', to, '--format', 'jsonl'])
    expect(await jsonl.exit).toBe(0)
    expect(JSON.parse(jsonl.stdout().trim())).toMatchObject({ typeId: 'meter', deviceId: 'm2', eventId: 'usage', data: { n: 2 } })
    const bad = run(historyEnv, ['history', 'meter', 'm2', '--from', to, '--to', from])
    expect(await bad.exit).toBe(2)
    expect(bad.stderr()).toContain('--from must not be after --to')
    // --json is no format of the rows here: refused, rather than CSV printed as if it had been heard.
    const json = run({ ...historyEnv, TEST_JSON: '1' }, ['history', 'meter', 'm2', '--from', from, '--to', to])
    expect(await json.exit).toBe(2)
    expect(json.stderr()).toContain('--format jsonl')
    expect(json.stdout()).toBe('')
    // CouchDB out of reach: the local copy of what was read before, said on stderr, and exit 1 for scripts.
    const offline = run({ ...historyEnv, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:1' }, ['history', 'meter', 'm1', '--from', from, '--to', to])
    expect(await offline.exit).toBe(1)
    expect(offline.stderr()).toContain('showing the local copy of what was read before')
    expect(offline.stdout().trim().split('\n').slice(1)).toEqual(rows.slice(1))
    // A range never read before: no copy to show, said as such, not as "no events" (nothing is known of them).
    const unread = run({ ...historyEnv, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:1' }, ['history', 'meter', 'never-read', '--from', from, '--to', to])
    expect(await unread.exit).toBe(1)
    expect(unread.stderr()).toContain('nothing of this range was read before: there is no local copy')
    expect(unread.stderr()).not.toContain('no events for')

    // A range of more buckets than a read goes through is an argument error: exit 2 before any output.
    const tooLong = run(historyEnv, ['history', 'meter', 'm1', '--from', '1970-01-01T00:00:00Z', '--to', '2026-12-07T00:00:00Z'])
    expect(await tooLong.exit).toBe(2)
    expect(tooLong.stdout()).toBe('')
    expect(tooLong.stderr()).toContain('more than 10000 day buckets')
    // 27 years of day buckets: one listing of the databases, then only the buckets that exist are read.
    const before = couch.log().length
    const years = run(historyEnv, ['history', 'meter', 'm1', '--from', '2000-01-01T00:00:00Z', '--to', to])
    expect(await years.exit).toBe(0)
    expect(years.stdout().trim().split('\n')).toEqual(rows)
    const requests = couch.log().slice(before)
    expect(requests.filter((r) => r.path === '/_all_dbs')).toHaveLength(1)
    expect(requests.filter((r) => r.path.endsWith('/_all_docs')).length).toBeLessThanOrEqual(2)
    // A device with no events: the header, exit 0, and a word on stderr so that a mistyped id does not pass unseen.
    const nobody = run(historyEnv, ['history', 'meter', 'nobody', '--from', from, '--to', to])
    expect(await nobody.exit).toBe(0)
    expect(nobody.stdout()).toBe('id,typeId,deviceId,eventId,format,timestamp\n')
    expect(nobody.stderr()).toContain(`no events for meter/nobody from ${from} to ${to}`)
  })

  it('buckets lists the bucket databases with those older than the retention, and deletes those only with --yes', async () => {
    const dir = await dataDir()
    const token = (await (
      await fetch(`${couch.iamUrl}/identity/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=iam-secret-api-key',
      })
    ).json()) as { access_token: string }
    const retEnv = { ...env(dir, 'ret'), FIELDLINE_HISTORIAN_COUCH_RETENTION: '2', FIELDLINE_HISTORIAN_COUCH_BUCKET: 'day' }
    // Cold trial: no database listed nothing at all; it says so on stderr, stdout stays empty for scripts.
    const none = run(retEnv, ['buckets'])
    expect(await none.exit).toBe(0)
    expect(none.stdout()).toBe('')
    expect(none.stderr()).toBe('fieldline: this destination has no bucket database yet (historian run creates them)\n')
    const today = new Date().toISOString().slice(0, 10)
    for (const name of ['iotp_testorg_ret_2020-01-01', 'iotp_testorg_ret_2020-01-02', `iotp_testorg_ret_${today}`, 'iotp_testorg_other_2020-01-01']) {
      expect((await fetch(`${couch.url}/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(201)
    }
    const list = run(retEnv, ['buckets'])
    expect(await list.exit).toBe(0)
    expect(list.stdout()).toBe(`iotp_testorg_ret_2020-01-01\t2020-01-01\texpired\niotp_testorg_ret_2020-01-02\t2020-01-02\texpired\niotp_testorg_ret_${today}\t${today}\n`)
    // Without --yes: the list of what would go, exit 2, nothing deleted.
    const asked = run(retEnv, ['buckets', '--delete-expired'])
    expect(await asked.exit).toBe(2)
    expect(asked.stderr()).toContain('run again with --yes to delete them')
    expect(await couch.databases()).toContain('iotp_testorg_ret_2020-01-01')
    const done = run(retEnv, ['buckets', '--delete-expired', '--yes'])
    expect(await done.exit).toBe(0)
    expect(done.stdout()).toBe('deleted\tiotp_testorg_ret_2020-01-01\ndeleted\tiotp_testorg_ret_2020-01-02\n')
    const left = (await couch.databases()).filter((d) => d.includes('_ret_') || d.includes('_other_'))
    expect(left.sort()).toEqual(['iotp_testorg_other_2020-01-01', `iotp_testorg_ret_${today}`])
  })
})
