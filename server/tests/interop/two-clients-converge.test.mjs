// Proves: edits made by one official y-websocket client reach another client
// through the server, in both directions, for Y.Text and Y.Map.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, waitFor, uniqueRoom, sameState, sharedServer } from './harness.mjs'

const { server, clients } = sharedServer()

test('two providers converge in both directions (Y.Text and Y.Map)', async () => {
  const room = uniqueRoom('two-clients')
  const a = await connect(server.url, room, { name: 'A' })
  clients.push(a)
  const b = await connect(server.url, room, { name: 'B' })
  clients.push(b)

  const textA = a.doc.getText('text')
  const mapA = a.doc.getMap('map')
  const textB = b.doc.getText('text')
  const mapB = b.doc.getMap('map')
  assert.equal(textB.toString(), '', 'fresh room should be empty')

  // A -> B
  a.doc.transact(() => {
    textA.insert(0, 'hello from A')
    mapA.set('author', 'alice')
    mapA.set('n', 1)
  })
  await waitFor(() => textB.toString() === 'hello from A' && mapB.get('author') === 'alice' && mapB.get('n') === 1, {
    docs: [b.doc],
    what: "B to receive A's text and map edits",
    describe: () => `B text=${JSON.stringify(textB.toString())} map=${JSON.stringify(mapB.toJSON())}`
  })

  // B -> A (B edits on top of what it received)
  b.doc.transact(() => {
    textB.insert(textB.length, ' and B')
    textB.delete(0, 1) // 'hello' -> 'ello'
    mapB.set('n', 2)
    mapB.set('reviewer', 'bob')
    mapB.delete('author')
  })
  const expectedText = 'ello from A and B'
  await waitFor(() => textA.toString() === expectedText && mapA.get('n') === 2 && mapA.get('reviewer') === 'bob' && !mapA.has('author'), {
    docs: [a.doc],
    what: "A to receive B's text and map edits",
    describe: () => `A text=${JSON.stringify(textA.toString())} map=${JSON.stringify(mapA.toJSON())}`
  })

  assert.equal(textB.toString(), expectedText)
  assert.deepEqual(mapA.toJSON(), { n: 2, reviewer: 'bob' })
  assert.deepEqual(mapA.toJSON(), mapB.toJSON())
  assert.ok(sameState(a.doc, b.doc), 'A and B must have identical state vectors and delete sets')
})
