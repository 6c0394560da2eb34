// Child process used by awareness.test.mjs: joins a room, publishes an
// awareness state, reports its client id on stdout and then idles until it is
// killed (SIGKILL, so it never gets to say goodbye).
// Usage: node awareness-peer.mjs <url> <room> <name>
import { connect } from './harness.mjs'

const [url, room, name] = process.argv.slice(2)
const client = await connect(url, room, { name })
client.awareness.setLocalStateField('user', { name })
process.stdout.write(JSON.stringify({ clientID: client.doc.clientID }) + '\n')
// the open WebSocket keeps the process alive
