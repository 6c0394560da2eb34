// Proves: cocreate's Redis Cluster mode (several comma-separated --redis-url
// nodes) serves one room from two cocreate nodes: 4 providers on each make
// concurrent random edits and converge, awareness crosses nodes, and a fresh
// client on a third node gets everything from the cluster.
// Starts a local 3-master Redis Cluster: the only test using TCP ports (Redis
// Cluster cannot use unix sockets; see startRedisCluster in harness.mjs).
// Needs redis-server and redis-cli. Skipped against the reference server.
// Reproduce the random edits with INTEROP_SEED=<printed seed>.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor, waitConverged, uniqueRoom, prng, isReference, Y } from './harness.mjs'
import { resources, seedFor, editBatch, fullContent, assertAllEqual, joinFresh } from './multi-node-helpers.mjs'

const skip = isReference ? 'the reference server has no Redis mode' : false

test('two nodes on a 3-master Redis Cluster converge after concurrent random edits', { skip }, async (t) => {
  const res = resources(t)
  const seed = seedFor(t, 'cluster')
  const rng = prng(seed)
  const cluster = await res.cluster({ masters: 3 })
  assert.equal(cluster.url.split(',').length, 3)
  const prefix = uniqueRoom('interop-cluster')
  const room = uniqueRoom('cluster')
  const [nodeA, nodeB] = await Promise.all([res.node(cluster, prefix, 'A'), res.node(cluster, prefix, 'B')])
  const onA = await res.connectMany(nodeA, room, 4, 'a', 1000)
  const onB = await res.connectMany(nodeB, room, 4, 'b', 2000)
  const all = [...onA, ...onB]

  const markers = await editBatch(rng, all, 'concurrent', { ops: 20, rounds: 2 })
  await waitConverged(all.map((c) => c.doc), {
    names: all.map((c) => c.name),
    timeoutMs: 20_000,
    what: `all 8 clients on nodes A and B (Redis Cluster) to receive every other client's edits (seed=${seed})`
  })
  assertAllEqual(all, markers, seed)

  // Presence over the cluster's pub/sub.
  onA[0].awareness.setLocalStateField('user', 'on A')
  const a0 = onA[0].doc.clientID
  await waitFor(() => onB[3].awareness.getStates().get(a0)?.user === 'on A', {
    awarenesses: [onB[3].awareness],
    what: 'awareness to cross from node A to node B over the Redis Cluster',
    describe: () => `b3 sees ${JSON.stringify([...onB[3].awareness.getStates()])}`
  })

  // A third node loads the room from the cluster.
  const nodeC = await res.node(cluster, prefix, 'C')
  const fresh = await joinFresh(res, nodeC, room, 'fresh-on-C')
  assert.deepEqual(fresh.content, fullContent(all[0].doc), "a fresh client on node C must get everything at 'sync'")
  assert.ok(Y.equalSnapshots(fresh.snapshot, Y.snapshot(all[0].doc)), "the fresh client's state vector / delete set must match")
  assert.ok(nodeA.running() && nodeB.running(), 'both nodes must still be running')
})
