// Proves: awareness (presence) states are relayed between official clients,
// sent to late joiners, and removed for everyone when a client leaves -
// including when its socket dies without the client sending a removal, in
// which case the server itself must broadcast it.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServer, connect, destroyClient, waitFor, uniqueRoom } from './harness.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))

let server
const clients = []
const children = []
before(async () => { server = await startServer() })
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  clients.forEach(destroyClient)
  if (server) await server.stop()
})

const join = async (room, name) => {
  const c = await connect(server.url, room, { name })
  clients.push(c)
  return c
}
const statesOf = (c) => JSON.stringify(Object.fromEntries(c.awareness.getStates()))
const userName = (c, clientID) => c.awareness.getStates().get(clientID)?.user?.name

test('awareness state is relayed, sent to late joiners, and removed on clean disconnect', async () => {
  const room = uniqueRoom('awareness-clean')
  const a = await join(room, 'A')
  const b = await join(room, 'B')
  a.awareness.setLocalState({ user: { name: 'alice' } })
  await waitFor(() => userName(b, a.doc.clientID) === 'alice', {
    awarenesses: [b.awareness],
    what: "B to see A's awareness state {user:{name:'alice'}}",
    describe: () => `B states=${statesOf(b)}`
  })
  assert.deepEqual(b.awareness.getStates().get(a.doc.clientID), { user: { name: 'alice' } })

  // A late joiner learns about existing users without them having to re-send
  // their state (A renews only every 15 s; the wait is bounded well below that).
  const d = await join(room, 'D')
  await waitFor(() => userName(d, a.doc.clientID) === 'alice', {
    awarenesses: [d.awareness],
    what: "late joiner D to receive A's existing awareness state",
    describe: () => `D states=${statesOf(d)}`
  })

  // Note: a provider's initial default state {} has clock 0 and is ignored by
  // every receiver (y-protocols only applies clock > known clock), so B and D
  // set explicit states to become visible.
  b.awareness.setLocalState({ user: { name: 'bob' } })
  d.awareness.setLocalState({ user: { name: 'dave' } })
  await waitFor(() => b.awareness.getStates().has(d.doc.clientID) && d.awareness.getStates().has(b.doc.clientID), {
    awarenesses: [b.awareness, d.awareness],
    what: 'B and D to see each other',
    describe: () => `B states=${statesOf(b)} D states=${statesOf(d)}`
  })

  // Clean disconnect: the provider itself sends a null state for A.
  a.provider.disconnect()
  await waitFor(() => !b.awareness.getStates().has(a.doc.clientID) && !d.awareness.getStates().has(a.doc.clientID), {
    awarenesses: [b.awareness, d.awareness],
    what: "B and D to drop A's awareness state after A disconnected",
    describe: () => `B states=${statesOf(b)} D states=${statesOf(d)}`
  })
  assert.ok(b.awareness.getStates().has(d.doc.clientID), "B must still see D's state")
})

test('server broadcasts awareness removal when a socket is terminated without a goodbye', async () => {
  const room = uniqueRoom('awareness-terminate')
  const a = await join(room, 'A')
  const b = await join(room, 'B')
  const c = await join(room, 'C')
  a.awareness.setLocalState({ user: { name: 'alice' } })
  c.awareness.setLocalState({ user: { name: 'carol' } })
  b.awareness.setLocalState({ user: { name: 'bob' } })
  await waitFor(() => userName(b, a.doc.clientID) === 'alice' && userName(b, c.doc.clientID) === 'carol' &&
      c.awareness.getStates().has(b.doc.clientID), {
    awarenesses: [b.awareness, c.awareness],
    what: "B to see A's and C's awareness states, and C to see B",
    describe: () => `B states=${statesOf(b)} C states=${statesOf(c)}`
  })

  // Kill A's TCP connection abruptly: no awareness null-state, no close frame,
  // and no reconnect.
  const ws = a.provider.ws
  assert.ok(ws, 'A should have an open socket')
  a.provider.shouldConnect = false
  ws.terminate()

  await waitFor(() => !b.awareness.getStates().has(a.doc.clientID), {
    awarenesses: [b.awareness],
    what: "server to broadcast removal of A's awareness state after A's socket was terminated (client never sent it)",
    describe: () => `B states=${statesOf(b)}`
  })
  // only the dead connection's client ids are removed
  assert.equal(userName(b, c.doc.clientID), 'carol', "C's state must survive A's disconnect")
  assert.ok(c.awareness.getStates().has(b.doc.clientID), 'C must still see B')
})

test('server broadcasts awareness removal when a client process is SIGKILLed', async () => {
  const room = uniqueRoom('awareness-kill')
  const b = await join(room, 'B')

  const child = spawn(process.execPath, [path.join(here, 'awareness-peer.mjs'), server.url, room, 'killed-peer'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  let childOut = ''
  child.stderr.on('data', (d) => { childOut += d })
  const childId = await new Promise((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).clientID)
    })
    child.on('exit', (code, signal) => reject(new Error(`peer process exited early (code=${code}, signal=${signal}): ${childOut}`)))
  })

  await waitFor(() => userName(b, childId) === 'killed-peer', {
    awarenesses: [b.awareness],
    what: "B to see the child peer's awareness state",
    describe: () => `B states=${statesOf(b)}`
  })

  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGKILL')
  await exited

  await waitFor(() => !b.awareness.getStates().has(childId), {
    awarenesses: [b.awareness],
    what: "server to broadcast removal of the SIGKILLed peer's awareness state",
    describe: () => `B states=${statesOf(b)}`
  })
})
