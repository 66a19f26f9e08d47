/**
 * IBM Cloud IAM tokens for Cloudant (docs/wire/couchdb-kafka.md §1.2): `POST <iam>/identity/token` with the form
 * `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=KEY` answers `{access_token (a JWT), expires_in (≤ 3600),
 * expiration}`; requests then carry `Authorization: Bearer <token>`.
 *
 * One token serves every request until a minute before it expires (its JWT `exp`, else `expiration`, else
 * `expires_in`). A 401 from Cloudant makes the caller ask for a fresh one once (`refresh`): a token can be revoked or
 * rotated before its time.
 */
import { z } from 'zod'
import { AppError } from '../common/errors'
import { parseRetryAfter, type HttpClient } from '../http/http-client'

const tokenReply = z.object({
  access_token: z.string().min(1).max(16_384),
  expires_in: z.number().optional(),
  expiration: z.number().optional(),
})

const iamError = z.object({ errorCode: z.string().optional(), errorMessage: z.string().optional() }).loose()

/** How long before its expiry a token is replaced. */
const MARGIN_MS = 60_000

/** The `exp` claim of a JWT (seconds), unverified: only its timing is used, the service verifies the signature. */
export function jwtExpiry(token: string): number | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }
    return typeof claims.exp === 'number' ? claims.exp * 1000 : null
  } catch {
    return null
  }
}

/** A failure to get a token that waiting can cure (IAM busy or down), with IAM's own Retry-After when it gave one. */
export class IamUnavailable extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super('NETWORK', message, { ref: { key: 'historian.iamUnavailable' } })
  }
}

export interface IamTokens {
  /** A valid token, fetched when there is none or it is about to expire. */
  token(): Promise<string>
  /** Forgets the current token: the next `token()` fetches a new one. */
  refresh(): void
}

export function createIamTokens(http: HttpClient, apiKey: string, now: () => number = Date.now): IamTokens {
  let current: { token: string; expiresAt: number } | null = null
  let inflight: Promise<string> | null = null

  async function fetchToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: apiKey }).toString()
    const res = await http.request({
      method: 'POST',
      path: '/identity/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      // Asking for a token changes nothing at IAM: safe to repeat.
      idempotent: true,
      maxAttempts: 1,
    })
    if (res.status === 200) {
      const parsed = tokenReply.safeParse(res.tryJson())
      if (!parsed.success) throw AppError.withRef('NETWORK', 'IAM answered without a token', { key: 'historian.iamBadAnswer' })
      const t = parsed.data
      const expiresAt = jwtExpiry(t.access_token) ?? (t.expiration ? t.expiration * 1000 : now() + (t.expires_in ?? 3600) * 1000)
      current = { token: t.access_token, expiresAt }
      return t.access_token
    }
    if (res.status === 429 || res.status >= 500) {
      throw new IamUnavailable(`IAM answered HTTP ${res.status}`, parseRetryAfter(res.headers['retry-after']))
    }
    // 400/401/403: the key is wrong, revoked, or not allowed to sign in. Waiting will not fix it.
    const info = iamError.safeParse(res.tryJson())
    const why = info.success ? [info.data.errorCode, info.data.errorMessage].filter(Boolean).join(' ').slice(0, 300) : `HTTP ${res.status}`
    throw AppError.withRef('AUTH_FAILED', `IAM refused the API key: ${why}`, { key: 'historian.iamRefused', params: { reason: why } })
  }

  return {
    token() {
      if (current && current.expiresAt - MARGIN_MS > now()) return Promise.resolve(current.token)
      if (!inflight) {
        inflight = fetchToken().finally(() => {
          inflight = null
        })
      }
      return inflight
    },
    refresh() {
      current = null
    },
  }
}
