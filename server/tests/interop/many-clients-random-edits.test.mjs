// Proves: 10 official clients making concurrent random edits in one room all
// end with identical documents (same content, state vectors and delete sets).
// Reproduce a failure with INTEROP_SEED=<printed seed>.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, waitFor, uniqueRoom, sameState, prng, Y, sharedServer } from './harness.mjs'

const CLIENTS = 10
const OPS_PER_CLIENT = 30
const ROUNDS = 3 // ops are issued in rounds; between rounds the event loop runs, so some remote updates interleave

const { server, clients } = sharedServer()

function randomOp (rng, doc) {
  const text = doc.getText('text')
  const arr = doc.getArray('array')
  const map = doc.getMap('map')
  switch (rng.int(6)) {
    case 0:
    case 1: // insert more than we delete so the documents stay non-trivial
      text.insert(rng.int(text.length + 1), rng.word(1 + rng.int(4)))
      break
    case 2:
      if (text.length > 0) {
        const i = rng.int(text.length)
        text.delete(i, 1 + rng.int(Math.min(3, text.length - i)))
      } else {
        text.insert(0, rng.word(2))
      }
      break
    case 3:
      if (arr.length > 0 && rng.int(3) === 0) {
        arr.delete(rng.int(arr.length), 1)
      } else {
        arr.insert(rng.int(arr.length + 1), [rng.int(1000), rng.word(2)])
      }
      break
    case 4:
      map.set(`k${rng.int(6)}`, rng.next() < 0.5 ? rng.word(3) : { n: rng.int(100), from: doc.clientID })
      break
    case 5:
      if (rng.int(2) === 0) map.delete(`k${rng.int(6)}`)
      else map.set(`k${rng.int(6)}`, rng.int(10_000))
      break
  }
}

test(`${CLIENTS} providers with concurrent random edits converge`, async (t) => {
  const seed = process.env.INTEROP_SEED ? Number(process.env.INTEROP_SEED) : Math.floor(Math.random() * 2 ** 31)
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
      for (const doc of docs) randomOp(rng, doc)
    }
    await new Promise((resolve) => setImmediate(resolve)) // let the network interleave (not a synchronisation point)
  }

  // Each client only creates structs under its own client id, so the final
  // state vector is known exactly: every client's own clock.
  const expectedSv = new Map(docs.map((d) => [d.clientID, Y.getState(d.store, d.clientID)]))
  const hasEverything = (d) => {
    const sv = Y.decodeStateVector(Y.encodeStateVector(d))
    for (const [client, clock] of expectedSv) if ((sv.get(client) ?? 0) !== clock) return false
    return sv.size === expectedSv.size
  }
  // Deletions do not advance the state vector, so equal state vectors are not
  // enough: also wait until every delete set is equal (each deleter has its own
  // deletions, so equal delete sets everywhere means every delete arrived).
  await waitFor(() => docs.every(hasEverything) && docs.every((d) => sameState(d, docs[0])), {
    docs,
    timeoutMs: 20_000,
    what: `all ${CLIENTS} clients to receive every other client's edits (seed=${seed})`,
    describe: () => {
      const exp = JSON.stringify(Object.fromEntries(expectedSv))
      return `expected sv=${exp}\n` + docs.map((d, i) =>
        `client${i} sv=${JSON.stringify(Object.fromEntries(Y.decodeStateVector(Y.encodeStateVector(d))))} sameDeleteSetAndSvAsClient0=${sameState(d, docs[0])}`).join('\n')
    }
  })

  const json = (d) => ({ text: d.getText('text').toString(), array: d.getArray('array').toJSON(), map: d.getMap('map').toJSON() })
  const reference = json(docs[0])
  assert.ok(reference.text.length + reference.array.length + Object.keys(reference.map).length > 0, 'documents should not be empty')
  for (let i = 1; i < docs.length; i++) {
    assert.deepEqual(json(docs[i]), reference, `client${i} content differs from client0 (seed=${seed})`)
    assert.ok(sameState(docs[i], docs[0]), `client${i} state vector / delete set differs from client0 (seed=${seed})`)
  }
})
