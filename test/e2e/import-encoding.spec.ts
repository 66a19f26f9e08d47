import { expect, test } from './fixtures'
import { openPage } from './steps'

const latin1 = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))

test('refuses the Latin-1 rows of a UTF-8 import with their line and byte offset, and imports them when Latin-1 is chosen', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Devices')
  const file = latin1('typeId,deviceId,description\n', 'meter,enc-1,plain\n', 'meter,enc-2,Caf', [0xe9], ' du port\n')

  await page.getByLabel('Import file').setInputFiles({ name: 'mixed.csv', mimeType: 'text/csv', buffer: file })
  await expect(page.getByText(/Line 3, byte offset 61: this is not UTF-8 \(byte 0xE9\)/)).toBeVisible()
  await expect(page.getByText(/1 added/)).toBeVisible()
  await expect(page.getByTestId('device-row').filter({ hasText: 'enc-2' })).toHaveCount(0)
  await page.getByRole('button', { name: 'Close import results' }).click()

  await page.getByLabel('File encoding').selectOption({ label: 'Latin-1 (Windows-1252)' })
  await page.getByLabel('Import file').setInputFiles({ name: 'mixed.csv', mimeType: 'text/csv', buffer: file })
  await expect(page.getByText(/1 added/)).toBeVisible()
  await expect(page.getByTestId('device-row').filter({ hasText: 'enc-2' })).toContainText('Café du port')

  await openPage(page, 'Activity')
  await expect(page.getByRole('list', { name: 'Activity log, newest first' }).getByRole('listitem').filter({ hasText: 'Import started' }).first()).toBeVisible()
  await expect(page.getByRole('list', { name: 'Activity log, newest first' }).getByRole('listitem').filter({ hasText: 'Devices imported (batch)' }).first()).toBeVisible()
})
