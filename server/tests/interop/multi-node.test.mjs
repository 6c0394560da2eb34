// Proves: several cocreate nodes sharing one Redis serve the same rooms to the
// official JavaScript clients:
//   a. 10 providers on node A and 10 on node B converge after concurrent random
//      edits, and presence crosses nodes;
//   b. SIGKILLing a node loses nothing: its clients edit offline, move to the
//      other node, and every edit of every live client ends up everywhere;
//   c. stopping redis-server mid-session loses nothing: edits wait (and are not
//      relayed) until Redis is back, then everything converges, and a fresh
//      client on a brand-new node finds it all in Redis.
// Needs redis-server (REDIS_SERVER=<path> to pick one). Each test has its own
// key prefix. Skipped against the reference server (no Redis mode).
// Reproduce the random edits with INTEROP_SEED=<printed seed>.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor, waitForLog, contentOf, isReference, Y } from './harness.mjs'
import {
  begin, twoNodes, editBatch, svOf, assertAllEqual, assertFreshJoinerHasAll, waitAllConverged, waitDisconnected,
  waitSynced
} from './multi-node-helpers.mjs'

const skip = isReference ? 'the reference server has no Redis mode' : false
// Redis outages are retried with a backoff of up to 5 s between attempts: allow a few.
const RECOVERY_TIMEOUT_MS = 30_000

test('a. 20 providers on two nodes sharing one Redis converge after concurrent random edits', { skip }, async (t) => {
  const { res, seed, rng } = begin(t, 'converge')
  const redis = await res.redis()
  const { nodeA, nodeB, onA, onB, all } = await twoNodes(res, redis, { prefix: 'interop-a', room: 'two-nodes', perNode: 10 })

  const markers = await editBatch(rng, all, 'concurrent', { ops: 30, rounds: 3 })
  await waitAllConverged(all, `all 20 clients on nodes A and B to receive every other client's edits (seed=${seed})`, 20_000)
  assertAllEqual(all, markers, seed)
  assert.ok(contentOf(all[0].doc).text.length > 0, 'the text should not be empty')

  // Presence crosses nodes too (Redis pub/sub), in both directions.
  onA[0].awareness.setLocalStateField('user', 'on A')
  onB[0].awareness.setLocalStateField('user', 'on B')
  const a0 = onA[0].doc.clientID
  const b0 = onB[0].doc.clientID
  await waitFor(() => onB[9].awareness.getStates().get(a0)?.user === 'on A' && onA[9].awareness.getStates().get(b0)?.user === 'on B', {
    awarenesses: [onA[9].awareness, onB[9].awareness],
    what: 'awareness states to cross between nodes A and B',
    describe: () => `b9 sees ${JSON.stringify([...onB[9].awareness.getStates()])}\na9 sees ${JSON.stringify([...onA[9].awareness.getStates()])}`
  })
  assert.ok(nodeA.running() && nodeB.running(), 'both nodes must still be running')
})

test('b. SIGKILL of a node mid-editing loses no acknowledged edit; its clients move to the other node', { skip }, async (t) => {
  const { res, seed, rng } = begin(t, 'kill -9')
  const redis = await res.redis()
  const { room, nodeA, nodeB, onA, onB, all } = await twoNodes(res, redis, { prefix: 'interop-b', room: 'kill-node', perNode: 5 })
  const markers = []

  // 1. Everyone edits. Once the clients on B have seen all of A's clients' edits, those are stored
  //    in Redis (a node relays only what is stored).
  markers.push(...await editBatch(rng, all, 'before-kill'))
  const aClocks = onA.map((c) => [c.doc.clientID, Y.getState(c.doc.store, c.doc.clientID)])
  await waitFor(() => onB.every((b) => { const sv = svOf(b.doc); return aClocks.every(([id, clock]) => (sv.get(id) ?? 0) >= clock) }), {
    docs: onB.map((c) => c.doc),
    what: "every client on B to see A's clients' edits",
    describe: () => onB.map((b) => `${b.name} sv=${JSON.stringify([...svOf(b.doc)])}`).join('\n') + `\nA clocks=${JSON.stringify(aClocks)}`
  })

  // 2. kill -9 node A; its clients notice and keep editing offline, B's clients keep editing live.
  const { signal } = await nodeA.kill()
  assert.equal(signal, 'SIGKILL')
  await waitDisconnected(onA, "A's providers to notice that node A is gone")
  markers.push(...await editBatch(rng, all, 'a-dead'))
  assert.ok(onA.every((c) => !c.provider.wsconnected), "A's providers cannot have reconnected: A is dead")

  // 3. A's providers move to node B. y-websocket 3 builds its socket URL from `serverUrl` and
  //    `roomname` on every (re)connect (`url` is a getter), so changing serverUrl is enough;
  //    disconnect() + connect() reconnects now instead of after the backoff.
  for (const c of onA) {
    c.provider.serverUrl = nodeB.url
    assert.equal(c.provider.url, `${nodeB.url}/${room}`)
    c.provider.disconnect()
    c.provider.connect()
  }
  await waitSynced(onA, "A's providers to sync with node B")

  // 4. More edits by everyone, now all on B; then everything must be everywhere.
  markers.push(...await editBatch(rng, all, 'all-on-b'))
  await waitAllConverged(all, `all clients (A's now on B) to converge after node A was killed (seed=${seed})`, 20_000)
  assertAllEqual(all, markers, seed)

  // 5. What B serves to a newcomer is complete as well.
  await assertFreshJoinerHasAll(res, nodeB, room, 'fresh-on-B', all[0].doc, 'B')
  assert.ok(nodeB.running(), 'node B must still be running')
})

test('c. redis-server stopped and restarted mid-session: pending edits are stored once it is back', { skip }, async (t) => {
  const { res, seed, rng } = begin(t, 'redis restart')
  const redis = await res.redis() // its own: this test stops it
  const { prefix, room, nodeA, nodeB, onA, onB, all } = await twoNodes(res, redis, { prefix: 'interop-c', room: 'redis-restart', perNode: 4 })
  const markers = []

  // 1. Edits with Redis up: converge.
  markers.push(...await editBatch(rng, all, 'redis-up'))
  await waitAllConverged(all, `all clients to converge before Redis is stopped (seed=${seed})`)

  // 2. Stop redis-server gracefully (its AOF is fsynced), then keep editing on both nodes.
  const since = { a: nodeA.mark(), b: nodeB.mark() }
  const stopped = await redis.stop('SIGTERM')
  assert.deepEqual(stopped, { code: 0, signal: null }, `redis-server should exit 0 on SIGTERM\n${redis.logs()}`)
  const svAtStop = new Map(all.map((c) => [c.doc.clientID, Y.getState(c.doc.store, c.doc.clientID)]))
  markers.push(...await editBatch(rng, all, 'redis-down-1'))
  // Both nodes find out that their appends fail and retry.
  await Promise.all([nodeA, nodeB].map((n, i) => waitForLog(n, /update log append failed/, {
    since: i === 0 ? since.a : since.b,
    timeoutMs: RECOVERY_TIMEOUT_MS,
    what: `node ${n.nodeId} to log that appending to the stopped Redis failed`
  })))
  // Durability first: nothing that could not be stored was relayed to anyone.
  for (const c of all) {
    const sv = svOf(c.doc)
    for (const other of all) {
      if (other === c) continue
      assert.equal(sv.get(other.doc.clientID) ?? 0, svAtStop.get(other.doc.clientID),
        `${c.name} received ${other.name}'s edits made while Redis was down (not stored, must not be relayed)`)
    }
  }
  // More edits while still down; each node must fail again on its retry (the backoff loop runs)
  // before Redis comes back.
  const since2 = { a: nodeA.mark(), b: nodeB.mark() }
  markers.push(...await editBatch(rng, all, 'redis-down-2'))
  await Promise.all([nodeA, nodeB].map((n, i) => waitForLog(n, /update log append failed/, {
    since: i === 0 ? since2.a : since2.b,
    timeoutMs: RECOVERY_TIMEOUT_MS,
    what: `node ${n.nodeId} to log a failed retry while Redis is still stopped`
  })))

  // 3. Start redis-server again on the same dir and socket: the nodes' retries get through.
  await redis.restart()
  await waitAllConverged(all, `all clients to converge after Redis came back (seed=${seed})`, RECOVERY_TIMEOUT_MS)
  assertAllEqual(all, markers, seed)
  assert.ok(nodeA.running() && nodeB.running(), 'both nodes must have survived the Redis outage')

  // 4. A brand-new node (new process, empty memory) serves it all from Redis.
  const nodeC = await res.node(redis, prefix, 'C')
  await assertFreshJoinerHasAll(res, nodeC, room, 'fresh-on-C', all[0].doc, 'a new node C')
})
