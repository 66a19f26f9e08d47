import type { Page } from '@playwright/test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROLES_DESIGN_ID, TEAM_SECURITY, VALIDATE_DOC_UPDATE } from '../../src-main/core/sync/team-security'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, startServe } from './fixtures'

/** The team specs' server admin on the CouchDB peer (test/peers/couchdb/, `couchUsers`). */
export const COUCH_ADMIN = { name: 'e2e-admin', password: 'e2e-admin-pw' }

/** A CouchDB peer with the team database `db` set up as `fieldline sync setup` does it, by the server admin. */
export async function teamServer(db: string): Promise<CouchPeer> {
  const peer = await startCouchPeer({ couchUsers: { admin: COUCH_ADMIN.name, password: COUCH_ADMIN.password } })
  const headers = { authorization: `Basic ${Buffer.from(`${COUCH_ADMIN.name}:${COUCH_ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' }
  for (const [path, body] of [
    ['', undefined],
    ['/_security', TEAM_SECURITY],
    [`/${ROLES_DESIGN_ID}`, { _id: ROLES_DESIGN_ID, validate_doc_update: VALIDATE_DOC_UPDATE }],
  ] as const) {
    const res = await fetch(`${peer.url}/${db}${path}`, { method: 'PUT', headers, ...(body ? { body: JSON.stringify(body) } : {}) })
    expect(res.status, `PUT ${db}${path}`).toBeLessThan(300)
  }
  return peer
}

/** A teammate's computer: its own serve instance and workspace, in a second context of `a`'s browser. */
export interface SecondComputer {
  page: Page
  /** Closes the window, stops serve mode and removes the workspace. */
  stop(): Promise<void>
}

export async function secondComputer(a: Page): Promise<SecondComputer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fieldline-e2e-b-'))
  const serve = await startServe(dataDir).catch(async (e: unknown) => {
    await rm(dataDir, { recursive: true, force: true })
    throw e
  })
  const context = await a.context().browser()!.newContext({ locale: 'en-GB' })
  const page = await context.newPage()
  const stop = async () => {
    await context.close()
    await serve.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  await page.goto(serve.url)
  await page.waitForSelector('[data-app-state="ready"]')
  return { page, stop }
}

/** Settings → Team sync → Configure, saved, the way an operator does it. */
export async function configureTeamSync(page: Page, settings: { url: string; database: string; user: string; password: string }): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click()
  const section = page.getByRole('region', { name: 'Team sync' })
  await section.getByRole('button', { name: 'Configure' }).click()
  const dialog = page.getByRole('dialog', { name: 'Team sync settings' })
  await dialog.getByLabel('Server URL').fill(settings.url)
  await dialog.getByLabel('Database').fill(settings.database)
  await dialog.getByLabel('User name').fill(settings.user)
  await dialog.getByLabel('Password').fill(settings.password)
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()
}
