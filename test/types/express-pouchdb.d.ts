/** The part of express-pouchdb (and PouchDB.defaults) the CouchDB test peer uses; neither ships types. */
declare namespace PouchDB {
  interface Static {
    defaults(options: { prefix?: string }): Static
  }
}

declare module 'express-pouchdb' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface ExpressPouchdbOptions {
    mode?: 'fullCouchDB' | 'minimumForPouchDB' | 'custom'
    configPath?: string
    logPath?: string
    inMemoryConfig?: boolean
    overrideMode?: { include?: string[]; exclude?: string[] }
  }

  type App = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void

  export default function expressPouchdb(pouch: PouchDB.Static, options?: ExpressPouchdbOptions): App
}
