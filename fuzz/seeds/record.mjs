// Records the binary frames the official Yjs client (y-websocket's WebsocketProvider) sends while
// people edit a board, and writes them as the fuzz seed corpus: every frame to frame/, the update
// each sync message carries to update/. Run from the repository root after `npm ci` in
// server/tests/interop (whose yjs, y-protocols, y-websocket and ws it uses):
//   node fuzz/seeds/record.mjs
import { createRequire } from 'node:module'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'

const require = createRequire(new URL('../../server/tests/interop/package.json', import.meta.url))
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')
const { WebSocket, WebSocketServer } = require('ws')
const encoding = require('lib0/encoding')
const decoding = require('lib0/decoding')
const syncProtocol = require('y-protocols/sync')
const authProtocol = require('y-protocols/auth')

const out = new URL('.', import.meta.url)
const frames = []

// A server that only listens: it greets each client as cocreate greets it for an empty room
// (sync step 1 with an empty state vector, so the client answers with step 2 of all it has;
// then step 2, an empty document, so the client counts itself synced) and records the rest.
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
server.on('connection', (socket) => {
  socket.on('message', (data) => frames.push(new Uint8Array(data)))
  const empty = new Y.Doc()
  for (const write of [syncProtocol.writeSyncStep1, syncProtocol.writeSyncStep2]) {
    const greeting = encoding.createEncoder()
    encoding.writeVarUint(greeting, 0)
    write(greeting, empty)
    socket.send(encoding.toUint8Array(greeting))
  }
})
await new Promise((resolve) => server.on('listening', resolve))
const url = `ws://127.0.0.1:${server.address().port}`

const settle = () => new Promise((resolve) => setTimeout(resolve, 150))

function connect (doc) {
  const provider = new WebsocketProvider(url, 'board', doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  return new Promise((resolve) => provider.on('sync', (synced) => synced && resolve(provider)))
}

// The board as web-client/src/board/model.ts writes it (schema 2, web-client/README.md).
const item = (doc, type, fields, text = '') => {
  const m = new Y.Map()
  m.set('type', type)
  m.set('text', new Y.Text(text))
  m.set('author', 'p_ann')
  m.set('author_name', 'Ann')
  m.set('created_at', 1700000000000)
  m.set('language', 'nl')
  for (const [k, v] of Object.entries(fields)) m.set(k, v)
  const id = `${type}_${doc.getMap('items').size}`
  doc.getMap('items').set(id, m)
  return id
}

const ann = new Y.Doc()
const provider = await connect(ann)
provider.awareness.setLocalStateField('user', { name: 'Ann', color: '#e91e63', participant: 'p_ann' })
await settle()
ann.transact(() => {
  ann.getMap('meta').set('schema', 2)
  ann.getMap('meta').set('template', 'journey-map')
  for (const [i, kind] of ['aware', 'apply', 'wait'].entries()) {
    const m = new Y.Map()
    m.set('kind', kind); m.set('title', ''); m.set('order', `a${i}`)
    ann.getMap('stages').set(`stage-${kind}`, m)
  }
  const lane = new Y.Map()
  lane.set('kind', 'pain-points'); lane.set('title', ''); lane.set('order', 'a0')
  ann.getMap('lanes').set('lane-pain-points', lane)
})
await settle()
const card = item(ann, 'card', { lane: 'lane-pain-points', stage: 'stage-wait', order: 'a0' })
await settle()
const text = ann.getMap('items').get(card).get('text')
for (const word of ['Lange ', 'wachtrij ', 'aan de balie 🙁']) {
  text.insert(text.length, word)
  provider.awareness.setLocalStateField('cursor', { item: card, index: text.length })
  await settle()
}
text.delete(0, 6)
await settle()
ann.transact(() => {
  const m = ann.getMap('items').get(card)
  m.set('stage', 'stage-apply'); m.set('order', 'a1')
})
await settle()
ann.getMap('votes').set(`${card}|p_ann|0`, 1700000001000)
ann.getMap('emotion_votes').set('stage-wait|p_ann', -2)
await settle()
const comment = item(ann, 'comment', { parent: card }, 'Zelfde ervaring')
const note = item(ann, 'note', { x: 40, y: 60, w: 160, h: 120, color: 'yellow' }, 'Parkeren')
const group = item(ann, 'group', { x: 0, y: 0, w: 400, h: 300 }, 'Bereikbaarheid')
ann.getMap('items').get(note).set('group', group)
item(ann, 'connector', { from: card, to: note, directed: true })
await settle()
ann.transact(() => ann.getMap('items').delete(comment))
await settle()

// A second person who edited offline reconnects: step 1 with a state vector, step 2 with work.
const bob = new Y.Doc()
Y.applyUpdate(bob, Y.encodeStateAsUpdate(ann))
const offline = bob.getMap('items').get(note).get('text')
offline.insert(0, 'Geen ')
offline.format(0, 5, { bold: true })
const bobProvider = await connect(bob)
bobProvider.awareness.setLocalState({ user: { name: 'Bob', color: '#3f51b5' } })
await settle()
bobProvider.destroy() // removes Bob's presence
provider.destroy()
await settle()
server.close()

// Messages a server sends, which a client could echo: auth, cocreate's saved and session.
const message = (write) => { const e = encoding.createEncoder(); write(e); return encoding.toUint8Array(e) }
frames.push(message((e) => { encoding.writeVarUint(e, 2); authProtocol.writePermissionDenied(e, 'session closed') }))
frames.push(message((e) => { encoding.writeVarUint(e, 3) }))
frames.push(message((e) => { encoding.writeVarUint(e, 100); encoding.writeVarUint8Array(e, message((p) => encoding.writeVarUint(p, 7))) }))
frames.push(message((e) => { encoding.writeVarUint(e, 101); encoding.writeVarString(e, '{"event":"locked","can_edit":false}') }))

for (const dir of ['frame', 'update']) {
  rmSync(new URL(dir, out), { recursive: true, force: true })
  mkdirSync(new URL(dir, out))
}
let updates = 0
frames.forEach((frame, i) => {
  writeFileSync(new URL(`frame/${String(i).padStart(2, '0')}`, out), frame)
  const d = decoding.createDecoder(frame)
  if (decoding.readVarUint(d) === 0 && decoding.readVarUint(d) !== 0) {
    writeFileSync(new URL(`update/${String(updates++).padStart(2, '0')}`, out), decoding.readVarUint8Array(d))
  }
})
console.log(`${frames.length} frames, ${updates} updates`)
process.exit(0)
