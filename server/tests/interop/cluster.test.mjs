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
import { waitFor, isReference } from './harness.mjs'
import {
  begin, twoNodes, editBatch, assertAllEqual, assertFreshJoinerHasAll, waitAllConverged
} from './multi-node-helpers.mjs'

const skip = isReference ? 'the reference server has no Redis mode' : false

test('two nodes on a 3-master Redis Cluster converge after concurrent random edits', { skip }, async (t) => {
  const { res, seed, rng } = begin(t, 'cluster')
  const cluster = await res.cluster({ masters: 3 })
  assert.equal(cluster.url.split(',').length, 3)
  const { prefix, room, nodeA, nodeB, onA, onB, all } =
    await twoNodes(res, cluster, { prefix: 'interop-cluster', room: 'cluster', perNode: 4 })

  const markers = await editBatch(rng, all, 'concurrent', { ops: 20, rounds: 2 })
  await waitAllConverged(all, `all 8 clients on nodes A and B (Redis Cluster) to receive every other client's edits (seed=${seed})`, 20_000)
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
  await assertFreshJoinerHasAll(res, nodeC, room, 'fresh-on-C', all[0].doc, 'node C')
  assert.ok(nodeA.running() && nodeB.running(), 'both nodes must still be running')
})
