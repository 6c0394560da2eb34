// Proves: content is durable across a server restart (SIGTERM, then a new
// process on the same --data-dir), and a fresh client has it at 'sync'.
// Skipped against the reference server, which runs without persistence.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startServer, connect, joinAtSync, destroyClient, waitSameState, uniqueRoom, makeTempDir, removeDir, isReference,
  contentOf, Y
} from './harness.mjs'

const clients = []
const servers = []
let dataDir
after(async () => {
  clients.forEach(destroyClient)
  for (const s of servers) await s.stop().catch(() => {})
  if (dataDir) await removeDir(dataDir)
})

async function start () {
  const s = await startServer({ dataDir })
  servers.push(s)
  return s
}

async function stopGracefully (s) {
  const { code, signal } = await s.stop()
  assert.equal(signal, null, `server should handle SIGTERM and exit by itself, but was killed by ${signal}`)
  assert.equal(code, 0, `server should exit 0 after SIGTERM, got ${code}\n${s.logs()}`)
}

/** Join with a fresh doc and capture its content synchronously inside the first 'sync' event. */
async function joinFresh (s, room, name) {
  const { client, atSync } = await joinAtSync(s.url, room, name)
  clients.push(client)
  return { client, atSync: { ...atSync.content, snapshot: atSync.snapshot } }
}

test('content survives a server restart on the same data dir', async (t) => {
  if (isReference) {
    t.skip('the reference server runs without persistence')
    return
  }
  dataDir = await makeTempDir('cocreate-interop-data-')
  const room = uniqueRoom('restart')

  // --- first server: A writes, B confirms the server stored it ---
  const s1 = await start()
  const a = await connect(s1.url, room, { name: 'A' })
  const b = await connect(s1.url, room, { name: 'B' })
  clients.push(a, b)
  a.doc.getText('text').insert(0, 'persist me')
  a.doc.getMap('map').set('answer', 42)
  a.doc.getArray('array').push([1, 'two', { three: 3 }])
  a.doc.getText('text').delete(0, 3) // 'sist me'
  const expected1 = contentOf(a.doc)
  const snapshot1 = Y.snapshot(a.doc)
  // The server fans an update out only after storing it, so B having it proves it is durable.
  await waitSameState(b, a, "B to receive A's content (proof that the server stored it)")
  // Stop with clients still connected: shutdown must not hang on open sockets.
  await stopGracefully(s1)
  destroyClient(a)
  destroyClient(b)

  // --- second server on the same data dir: a fresh client sees everything at 'sync' ---
  const s2 = await start()
  const { client: c, atSync: c0 } = await joinFresh(s2, room, 'C')
  assert.deepEqual({ text: c0.text, map: c0.map, array: c0.array }, expected1, "C must see the pre-restart content at 'sync'")
  assert.ok(Y.equalSnapshots(c0.snapshot, snapshot1), "C's state vector / delete set must equal A's")

  // Edits after a reload must be durable too.
  const d = await connect(s2.url, room, { name: 'D' })
  clients.push(d)
  c.doc.getText('text').insert(c.doc.getText('text').length, ' again')
  c.doc.getMap('map').set('restarted', true)
  const expected2 = contentOf(c.doc)
  const snapshot2 = Y.snapshot(c.doc)
  await waitSameState(d, c, "D to receive C's post-restart edits")
  assert.equal(expected2.text, 'sist me again')
  destroyClient(c)
  destroyClient(d)
  await stopGracefully(s2)

  // --- third server: everything from both sessions is there ---
  const s3 = await start()
  const { atSync: e0 } = await joinFresh(s3, room, 'E')
  assert.deepEqual({ text: e0.text, map: e0.map, array: e0.array }, expected2, "E must see content from both sessions at 'sync'")
  assert.ok(Y.equalSnapshots(e0.snapshot, snapshot2))
  await stopGracefully(s3)
})
