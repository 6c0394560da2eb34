// Proves: a client that edits while disconnected gets its offline edits merged
// when it reconnects (the server must send SyncStep1 on connect so the client
// replies with what the server is missing), and receives the edits made by
// others meanwhile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, waitFor, uniqueRoom, sameState, nextEvent, sharedServer } from './harness.mjs'

const { server, clients } = sharedServer()

test('offline edits merge on reconnect', async () => {
  const room = uniqueRoom('offline-merge')
  const a = await connect(server.url, room, { name: 'A' })
  const b = await connect(server.url, room, { name: 'B' })
  // C only observes: it proves B's edit reached the server while A was offline.
  const c = await connect(server.url, room, { name: 'C' })
  clients.push(a, b, c)
  const texts = [a, b, c].map((x) => x.doc.getText('text'))
  const maps = [a, b, c].map((x) => x.doc.getMap('map'))
  const [textA, textB, textC] = texts
  const [mapA, mapB, mapC] = maps

  textA.insert(0, 'shared base.')
  mapA.set('base', true)
  await waitFor(() => textB.toString() === 'shared base.' && textC.toString() === 'shared base.', {
    docs: [b.doc, c.doc],
    what: 'B and C to receive the base text',
    describe: () => `B=${JSON.stringify(textB.toString())} C=${JSON.stringify(textC.toString())}`
  })

  // A goes offline.
  const disconnected = nextEvent(a.provider, 'status', { filter: (e) => e.status === 'disconnected', what: 'A disconnected status' })
  a.provider.disconnect()
  await disconnected
  assert.equal(a.provider.wsconnected, false)

  // Concurrent edits at the same position and on the same map key, plus distinct ones.
  textA.insert(0, '[A offline]')
  mapA.set('fromA', 'offline')
  mapA.set('conflict', 'A')
  textB.insert(0, '[B online]')
  mapB.set('fromB', 'online')
  mapB.set('conflict', 'B')

  await waitFor(() => textC.toString().includes('[B online]') && mapC.get('fromB') === 'online' && mapC.get('conflict') === 'B', {
    docs: [c.doc],
    what: "observer C to receive B's edit while A is offline",
    describe: () => `C=${JSON.stringify(textC.toString())} map=${JSON.stringify(mapC.toJSON())}`
  })
  assert.ok(!textA.toString().includes('[B online]'), 'A must not receive anything while offline')
  assert.ok(!textB.toString().includes('[A offline]'), "B must not see A's offline edit before A reconnects")

  // A comes back.
  a.provider.connect()
  const all = [a, b, c]
  const converged = () => texts.every((t) => t.toString().includes('[A offline]') && t.toString().includes('[B online]') && t.toString().includes('shared base.')) &&
    maps.every((m) => m.get('fromA') === 'offline' && m.get('fromB') === 'online') &&
    all.every((x) => sameState(x.doc, a.doc))
  await waitFor(converged, {
    docs: all.map((x) => x.doc),
    what: 'A, B and C to converge after A reconnects with offline edits',
    describe: () => all.map((x, i) => `${x.name}: text=${JSON.stringify(texts[i].toString())} map=${JSON.stringify(maps[i].toJSON())}`).join('\n')
  })

  assert.equal(textA.toString(), textB.toString())
  assert.equal(textA.toString(), textC.toString())
  assert.equal(textA.toString().length, 'shared base.'.length + '[A offline]'.length + '[B online]'.length)
  assert.deepEqual(mapA.toJSON(), mapB.toJSON())
  assert.deepEqual(mapA.toJSON(), mapC.toJSON())
  assert.ok(['A', 'B'].includes(mapA.get('conflict')), 'conflicting key resolves to one of the writes')
  assert.ok(a.provider.synced, 'A should be synced again')
})
