// Proves: 10 official clients making concurrent random edits in one room all
// end with identical documents (same content, state vectors and delete sets).
// Reproduce a failure with INTEROP_SEED=<printed seed>.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, uniqueRoom, sameState, prng, pickSeed, randomEdit, contentOf, waitConverged, Y, sharedServer } from './harness.mjs'

const CLIENTS = 10
const OPS_PER_CLIENT = 30
const ROUNDS = 3 // ops are issued in rounds; between rounds the event loop runs, so some remote updates interleave

const { server, clients } = sharedServer()

test(`${CLIENTS} providers with concurrent random edits converge`, async (t) => {
  const seed = pickSeed()
  t.diagnostic(`seed=${seed} (rerun with INTEROP_SEED=${seed})`)
  console.log(`many-clients-random-edits: seed=${seed}`)
  const rng = prng(seed)
  const room = uniqueRoom('many-clients')

  const connected = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => {
    const doc = new Y.Doc()
    doc.clientID = 1000 + i // deterministic ids: conflict resolution order is reproducible from the seed
    return connect(server.url, room, { doc, name: `client${i}` })
  }))
  clients.push(...connected)
  const docs = connected.map((c) => c.doc)

  for (let round = 0; round < ROUNDS; round++) {
    const opsThisRound = Math.ceil(OPS_PER_CLIENT / ROUNDS)
    // Within a round the loop is synchronous: no remote update can be applied,
    // so every client edits concurrently on its own view.
    for (let k = 0; k < opsThisRound; k++) {
      for (const doc of docs) randomEdit(rng, doc)
    }
    await new Promise((resolve) => setImmediate(resolve)) // let the network interleave (not a synchronisation point)
  }

  await waitConverged(docs, {
    names: connected.map((c) => c.name),
    timeoutMs: 20_000,
    what: `all ${CLIENTS} clients to receive every other client's edits (seed=${seed})`
  })

  const reference = contentOf(docs[0])
  assert.ok(reference.text.length + reference.array.length + Object.keys(reference.map).length > 0, 'documents should not be empty')
  for (let i = 1; i < docs.length; i++) {
    assert.deepEqual(contentOf(docs[i]), reference, `client${i} content differs from client0 (seed=${seed})`)
    assert.ok(sameState(docs[i], docs[0]), `client${i} state vector / delete set differs from client0 (seed=${seed})`)
  }
})
