#!/usr/bin/env node
// The installed `fieldline` command: the CLI is built to out/main/cli.js by `npm run build`.
import '../out/main/cli.js'
