import type { Page } from '@playwright/test'
import { ROLES_DESIGN_ID, TEAM_SECURITY, VALIDATE_DOC_UPDATE } from '../../src-main/core/sync/team-security'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect } from './fixtures'

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
