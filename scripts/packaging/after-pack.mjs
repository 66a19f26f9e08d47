/** electron-builder afterPack hook (electron-builder.yml): runs once per platform and architecture packaged. */
import { applyFuses } from './fuses.mjs'

export default async function afterPack(context) {
  const target = await applyFuses(context)
  console.log(`  • fuses set  ${target}`)
}
