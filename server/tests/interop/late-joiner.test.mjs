// Proves: a client joining a room with history has ALL of it at the moment its
// provider reports 'sync' (checked synchronously inside the sync handler), so
// the server must not answer SyncStep1 before the room's state is loaded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, joinAtSync, destroyClient, waitSameState, uniqueRoom, Y, sharedServer } from './harness.mjs'

const EDITS = 200

const { server, clients } = sharedServer()

/** Join and capture the doc's content synchronously inside the first 'sync' event. */
async function joinAndSnapshot (room, name) {
  const { client, atSync } = await joinAtSync(server.url, room, name)
  clients.push(client)
  assert.ok(atSync, `${name}: onSync should have run`)
  return { client, atSync: { ...atSync.content, snapshot: atSync.snapshot } }
}

test(`late joiner has all ${EDITS} edits when 'sync' fires`, async () => {
  const room = uniqueRoom('late-joiner')
  const a = await connect(server.url, room, { name: 'A' })
  const b = await connect(server.url, room, { name: 'B' }) // observer: proves the server has every edit
  clients.push(a, b)

  const textA = a.doc.getText('text')
  const mapA = a.doc.getMap('map')
  for (let i = 0; i < EDITS; i++) {
    // one transaction (= one update message) per edit
    if (i % 10 === 9) mapA.set(`k${i}`, i)
    else textA.insert(textA.length, `${i},`)
  }
  // a few deletions too, so the delete set matters
  textA.delete(0, 2) // removes '0,'
  const expectedText = textA.toString()
  const expectedMap = mapA.toJSON()
  const expectedSnapshot = Y.snapshot(a.doc)

  await waitSameState(b, a, `observer B to receive all ${EDITS} edits from A`)

  // Joins while the room is live (A and B still connected).
  const { atSync: c } = await joinAndSnapshot(room, 'C')
  assert.equal(c.text, expectedText, "C must have A's full text synchronously at 'sync'")
  assert.deepEqual(c.map, expectedMap, "C must have A's full map synchronously at 'sync'")
  assert.ok(Y.equalSnapshots(c.snapshot, expectedSnapshot), "C's state vector / delete set at 'sync' must equal A's")

  // Everyone leaves; a server may now unload the room. The next joiner must
  // still get the full state at 'sync' (whether or not the room was unloaded).
  for (const x of clients.splice(0)) destroyClient(x)
  const { atSync: d } = await joinAndSnapshot(room, 'D')
  assert.equal(d.text, expectedText, "D (joining an idle room) must have the full text at 'sync'")
  assert.deepEqual(d.map, expectedMap)
  assert.ok(Y.equalSnapshots(d.snapshot, expectedSnapshot), "D's state vector / delete set at 'sync' must equal A's")
})
