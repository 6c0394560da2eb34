// Helpers shared by the multi-node tests (multi-node.test.mjs, cluster.test.mjs): per-test
// processes and clients with guaranteed cleanup, seeded edit batches with named markers, and
// convergence checks.
import assert from 'node:assert/strict'
import {
  startServer, startRedis, startRedisCluster, connect, destroyClient, waitFor, waitConverged, joinAtSync,
  unknownMessageCount, sameState, pickSeed, prng, randomEdit, contentOf, uniqueRoom, Y
} from './harness.mjs'

/**
 * Processes and clients of one test, all stopped in t.after (also when the test fails).
 * Clients go first, then the nodes (SIGKILL: nothing to prove at that point, and a graceful
 * stop could wait for a Redis a failed test left down), then the test's own redis-server.
 */
export function resources (t) {
  const clients = []
  const nodes = []
  const redises = []
  const unknownBefore = unknownMessageCount()
  t.after(async () => {
    clients.forEach(destroyClient)
    await Promise.allSettled(nodes.map((n) => n.kill()))
    const results = await Promise.allSettled(redises.map((r) => r.dispose()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
    const unknown = unknownMessageCount() - unknownBefore
    if (unknown > 0) throw new Error(`the server sent ${unknown} message(s) of a type y-websocket does not know`)
  })
  return {
    clients,
    /** A private redis-server (unix socket). */
    async redis () {
      const r = await startRedis()
      redises.push(r)
      return r
    },
    /** A local Redis Cluster (TCP ports: see startRedisCluster). */
    async cluster (opts) {
      const c = await startRedisCluster(opts)
      redises.push(c)
      return c
    },
    /** A cocreate node on `redis` (anything with a url: startRedis() / startRedisCluster()). */
    async node (redis, prefix, nodeId) {
      const n = await startServer({ redisUrl: redis.url, prefix, nodeId })
      nodes.push(n)
      return n
    },
    /** Connect `count` providers with deterministic client ids to `node`. */
    async connectMany (node, room, count, namePrefix, firstId) {
      const connected = await Promise.all(Array.from({ length: count }, (_, i) => {
        const doc = new Y.Doc()
        doc.clientID = firstId + i // conflict resolution order is reproducible from the seed
        return connect(node.url, room, { doc, name: `${namePrefix}${i}` })
      }))
      clients.push(...connected)
      return connected
    }
  }
}

/** A test's resources (see resources), its seed (printed) and a generator drawing from it. */
export function begin (t, label) {
  const seed = pickSeed()
  t.diagnostic(`${label}: seed=${seed} (rerun with INTEROP_SEED=${seed})`)
  console.log(`multi-node ${label}: seed=${seed}`)
  return { res: resources(t), seed, rng: prng(seed) }
}

/**
 * Nodes A and B on `store` under a fresh key `prefix`, and `perNode` providers on each in one
 * fresh `room` (a0… on A with client ids from 1000, b0… on B from 2000).
 */
export async function twoNodes (res, store, { prefix: prefixLabel, room: roomLabel, perNode }) {
  const prefix = uniqueRoom(prefixLabel)
  const room = uniqueRoom(roomLabel)
  const [nodeA, nodeB] = await Promise.all([res.node(store, prefix, 'A'), res.node(store, prefix, 'B')])
  const onA = await res.connectMany(nodeA, room, perNode, 'a', 1000)
  const onB = await res.connectMany(nodeB, room, perNode, 'b', 2000)
  return { prefix, room, nodeA, nodeB, onA, onB, all: [...onA, ...onB] }
}

/** Wait until every client of `clients` has every other's edits (see waitConverged). */
export const waitAllConverged = (clients, what, timeoutMs) =>
  waitConverged(clients.map((c) => c.doc), { names: clients.map((c) => c.name), timeoutMs, what })

/**
 * `ops` random edits per client, issued in `rounds` synchronous rounds (so edits are concurrent),
 * each client also appending one unique marker per round to its Y.Array 'log' (never deleted),
 * so that "every edit arrived" can be checked by name. Returns the markers.
 */
export async function editBatch (rng, clients, label, { ops = 10, rounds = 2 } = {}) {
  const markers = []
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < Math.ceil(ops / rounds); k++) {
      for (const c of clients) randomEdit(rng, c.doc)
    }
    for (const c of clients) {
      const marker = `${c.name}/${label}/${round}`
      c.doc.getArray('log').push([marker])
      markers.push(marker)
    }
    await new Promise((resolve) => setImmediate(resolve)) // let the network interleave (not a synchronisation point)
  }
  return markers
}

export const fullContent = (doc) => ({ ...contentOf(doc), log: doc.getArray('log').toJSON() })
export const svOf = (doc) => Y.decodeStateVector(Y.encodeStateVector(doc))

/** Everyone has the same content as clients[0], every expected marker exactly once, equal snapshots. */
export function assertAllEqual (clients, markers, seed) {
  const reference = fullContent(clients[0].doc)
  assert.deepEqual([...reference.log].sort(), [...markers].sort(),
    `${clients[0].name} must have every edit's marker exactly once (seed=${seed})`)
  for (const c of clients.slice(1)) {
    assert.deepEqual(fullContent(c.doc), reference, `${c.name} content differs from ${clients[0].name} (seed=${seed})`)
    assert.ok(sameState(c.doc, clients[0].doc), `${c.name} state vector / delete set differs from ${clients[0].name} (seed=${seed})`)
  }
}

/**
 * A fresh client `name` on `node` has everything the `reference` doc has (content and snapshot)
 * at 'sync'; `where` names the node in the failure message.
 */
export async function assertFreshJoinerHasAll (res, node, room, name, reference, where) {
  const { client, atSync } = await joinAtSync(node.url, room, name, fullContent)
  res.clients.push(client)
  assert.deepEqual(atSync.content, fullContent(reference), `a fresh client on ${where} must get everything at 'sync'`)
  assert.ok(Y.equalSnapshots(atSync.snapshot, Y.snapshot(reference)), "the fresh client's state vector / delete set must match")
}

/** Wait until no provider of `clients` has an open connection (their node is gone). */
export const waitDisconnected = (clients, what) => waitFor(() => clients.every((c) => !c.provider.wsconnected), {
  events: clients.map((c) => [c.provider, 'status']),
  what,
  describe: () => clients.filter((c) => c.provider.wsconnected).map((c) => `${c.name} still connected`).join('\n')
})

export const waitSynced = (clients, what, timeoutMs) => waitFor(() => clients.every((c) => c.provider.synced), {
  events: clients.map((c) => [c.provider, 'sync']),
  timeoutMs,
  what,
  describe: () => clients.filter((c) => !c.provider.synced).map((c) => `${c.name} not synced (url=${c.provider.url})`).join('\n')
})
