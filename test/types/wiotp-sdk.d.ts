/** The part of @wiotp/sdk (IBM's official Node client, which ships no types) the platform REST conformance suite uses. */
declare module '@wiotp/sdk' {
  interface ApplicationAuth {
    key: string
    token: string
  }

  interface ApplicationOptions {
    domain?: string
    apiRoot?: string
    logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'
    http?: { additionalHeaders?: Record<string, string> }
  }

  export class ApplicationConfig {
    constructor(identity: { appId?: string } | null, auth: ApplicationAuth | null, options?: ApplicationOptions)
    options: ApplicationOptions
    getOrgId(): string | null
    getApiRoot(): string
    getApiBaseUri(): string
  }

  type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

  export class ApiClient {
    constructor(config: ApplicationConfig)
    /** Resolves with the body when the status is `expectedHttpCode`, else rejects with axios' error (`response`). */
    callApi(
      method: Method,
      expectedHttpCode: number | number[],
      expectJsonContent: boolean,
      paths: string[] | null,
      body?: unknown,
      params?: Record<string, string | number | undefined>,
    ): Promise<unknown>
  }
}
