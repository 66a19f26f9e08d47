import { z } from 'zod'
import { controlCenterSettingsSchema, profileSaveSchema } from '/work/wt/h11-renderer/src-shared/models/profiles.ts'
import { mailSaveSchema } from '/work/wt/h11-renderer/src-shared/models/mail.ts'
const n = z.number().int().min(1).max(4)
console.log(n._zod.bag, (n as any).minValue, (n as any).maxValue, (n as any).isInt)
const p = z.number().min(0.2).max(50)
console.log(p._zod.bag)
const r = profileSaveSchema.safeParse({ extension: 'jasper', name: '', settings: { baseUrl: ' ', username: 'x', concurrency: null, perSecond: 2.5 }, secrets: {} })
console.log(JSON.stringify(r.error?.issues, null, 1))
const m = mailSaveSchema.safeParse({ mode: 'smtp', settings: { host: 'bad host', port: 70000, security: 'none', senderName: '', senderAddress: 'x', ca: 'nope' }, secrets: { password: 'a\nb' }, organisation: 'x'.repeat(130) })
console.log(JSON.stringify(m.error?.issues, null, 1))
console.log(mailSaveSchema._zod.def.type, controlCenterSettingsSchema._zod.def.type, (profileSaveSchema._zod.def as any).type)
const d = z.string().regex(/^a$/).default('mbed'); console.log(d._zod.def.type, (d._zod.def as any).innerType._zod.def.type)
const t = z.string().trim().min(1); console.log(t._zod.def.type)
const tr = z.string().superRefine(()=>{}).transform(v=>v); console.log(tr._zod.def.type, (tr._zod.def as any).in._zod.def.type)
console.log(JSON.stringify(z.object({a: z.number().int().min(1)}).safeParse({a: 1.5}).error?.issues))
