// Hocuspocus 3 with no extensions (no persistence, no auth), on loopback, for compare.sh.
// Usage: node hocuspocus.mjs PORT ; prints "listening on 127.0.0.1:PORT" when ready.
import { Server } from '@hocuspocus/server'

const port = Number(process.argv[2])
const server = new Server({ port, address: '127.0.0.1', quiet: true })
await server.listen()
console.log(`listening on 127.0.0.1:${port}`)
