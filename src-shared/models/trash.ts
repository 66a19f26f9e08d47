import { z } from 'zod'

/** What can be deleted into the trash and brought back from it. */
export const trashItemKindSchema = z.enum(['device', 'profile', 'package', 'invitation', 'alertRule'])
export type TrashItemKind = z.infer<typeof trashItemKindSchema>

/** Deleted things stay this many days in the trash; after that they are purged for good. */
export const TRASH_RETENTION_DAYS = 30

export const trashIdSchema = z
  .string()
  .max(16)
  .regex(/^[a-f0-9]{16}$/, { message: 'must be a trash entry id' })

export const trashEntrySchema = z.object({
  id: trashIdSchema,
  item: trashItemKindSchema,
  /** How the audit trail names it (`typeId/deviceId`, `extension/id`, the bundle id, `invitation/id`, `alert/id`). */
  target: z.string(),
  /** A human name: a device's description, a profile's, an invitee's or an alert rule's name, a package's version. */
  label: z.string(),
  deletedAt: z.string(),
  deletedBy: z.string(),
  /** When it is purged unless restored first. */
  purgeAt: z.string(),
})
export type TrashEntry = z.infer<typeof trashEntrySchema>

/** What every delete channel answers: the trash entry, so that the notice confirming the deletion can offer Undo. */
export const trashedSchema = z.object({ removed: z.literal(true), trashId: trashIdSchema })

export const trashChannels = {
  /** What is in the trash, newest first. */
  'trash:list': { input: z.object({}).strict(), output: z.object({ items: z.array(trashEntrySchema) }) },
  /** Puts a deleted thing back as it was; refused while something else holds its key. Audited. */
  'trash:restore': { input: z.object({ id: trashIdSchema }).strict(), output: z.object({ restored: trashEntrySchema }) },
  /** Deletes everything in the trash for good (and a profile's secrets from the vault). Audited. */
  'trash:empty': { input: z.object({}).strict(), output: z.object({ purged: z.number().int() }) },
}

export const trashEvents = {
  'trash:changed': z.object({}),
}
