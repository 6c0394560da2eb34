// Proves, with the official y-websocket client: sessions are enforced by the server. An
// observer sees edits live but its own reach nobody and are not stored; a lock drops citizens'
// edits but not the moderator's, and unlock restores them; a kicked participant is
// disconnected and refused on reconnect; remove-contributions removes exactly one participant's
// content from every connected client; votes beyond the session's limit are removed again on
// every client, the voter included.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  ADMIN_KEY, Y, api as callApi, connect, destroyClient, isReference, nextEvent, startServer, waitFor
} from './harness.mjs'

const skip = isReference ? 'the reference server has no sessions' : false
let server
const clients = []
before(async () => { if (!skip) server = await startServer() })
after(async () => {
  clients.forEach(destroyClient)
  if (server) await server.stop()
})

/** An HTTP call to the server's API; returns [status, JSON body]. */
const api = (method, path, opts) => callApi(server, method, path, opts)

async function createSession () {
  const [status, session] = await api('POST', '/api/sessions', {
    token: ADMIN_KEY,
    body: { title: 'Interop', template: 'canvas', language: 'en' }
  })
  assert.equal(status, 201, JSON.stringify(session))
  return session
}

async function join (session, name) {
  const [status, joined] = await api('POST', '/api/join', { body: { code: session.join_code, display_name: name } })
  assert.equal(status, 200, JSON.stringify(joined))
  return joined
}

async function member (session, token, name) {
  const client = await connect(server.url, session.id, { name, providerOpts: { params: { token } } })
  clients.push(client)
  return client
}

const text = (client) => client.doc.getText('text').toString()

test('an observer sees edits live, and its own edits reach nobody and are not stored', { skip }, async () => {
  const session = await createSession()
  const moderator = await member(session, session.invites.moderator.token, 'moderator')
  const observer = await member(session, session.invites.observer.token, 'observer')
  observer.doc.getText('text').insert(0, 'observer was here. ')
  moderator.doc.getText('text').insert(0, 'agenda')
  await waitFor(() => text(observer).includes('agenda'), { docs: [observer.doc], what: 'the observer to see the moderator' })
  // The moderator's second edit is relayed after the observer's would have been.
  moderator.doc.getText('text').insert(6, '!')
  await waitFor(() => text(observer).includes('agenda!'), { docs: [observer.doc], what: 'the second edit' })
  assert.equal(text(moderator), 'agenda!')
  const newcomer = await member(session, session.invites.observer.token, 'observer')
  assert.equal(text(newcomer), 'agenda!', 'nothing of the observer was stored')
})

test('a lock drops citizens\' edits and keeps the moderator\'s; unlock restores editing', { skip }, async () => {
  const session = await createSession()
  const mod = session.invites.moderator.token
  const moderator = await member(session, mod, 'moderator')
  const citizen = await member(session, (await join(session, 'Ann')).token, 'citizen')

  const [status] = await api('POST', `/api/sessions/${session.id}/lock`, { token: mod })
  assert.equal(status, 200)
  citizen.doc.getText('text').insert(0, 'while locked. ')
  moderator.doc.getText('text').insert(0, 'moderator speaks')
  await waitFor(() => text(citizen).includes('moderator speaks'), { docs: [citizen.doc], what: 'the citizen to see the moderator' })
  moderator.doc.getText('text').insert(0, '>')
  await waitFor(() => text(citizen).includes('>moderator'), { docs: [citizen.doc], what: 'the moderator\'s second edit' })
  assert.ok(!text(moderator).includes('locked'), `the citizen's edit was dropped: ${text(moderator)}`)

  await api('POST', `/api/sessions/${session.id}/unlock`, { token: mod })
  citizen.doc.getText('text').insert(text(citizen).length, ' after unlock')
  await waitFor(() => text(moderator).includes('after unlock'), {
    docs: [moderator.doc],
    what: 'the citizen\'s edit after unlock',
    describe: () => text(moderator)
  })
})

test('a kicked participant is disconnected and refused on reconnect', { skip }, async () => {
  const session = await createSession()
  const joined = await join(session, 'Troll')
  const citizen = await member(session, joined.token, 'citizen')
  const closed = nextEvent(citizen.provider, 'connection-close', { what: 'the kicked client\'s socket to close' })
  const [status] = await api('POST', `/api/sessions/${session.id}/participants/${joined.participant_id}/kick`, {
    token: session.invites.moderator.token
  })
  assert.equal(status, 200)
  const [event] = await closed
  assert.equal(event.code, 1008, 'first close: ' + event.code + ' ' + event.reason)
  assert.equal(event.reason, 'revoked: removed from the session by a moderator')
  // y-websocket reconnects by itself: the server refuses it with the same reason.
  const [again] = await nextEvent(citizen.provider, 'connection-close', { what: 'the reconnect to be refused' })
  assert.equal(again.code, 1008, 'reconnect close: ' + again.code + ' ' + again.reason)
  assert.equal(again.reason, 'revoked: removed from the session by a moderator')
  destroyClient(citizen)
})

/** Adds a card to the board's items map as the web client does. */
function addCard (client, id, content, author) {
  const card = new Y.Map()
  card.set('text', new Y.Text(content))
  card.set('author', author)
  client.doc.getMap('items').set(id, card)
}

const cardText = (client, id) => client.doc.getMap('items').get(id)?.get('text')?.toString()

test('remove-contributions removes exactly one participant\'s content from every client', { skip }, async () => {
  const session = await createSession()
  const mod = session.invites.moderator.token
  const moderator = await member(session, mod, 'moderator')
  const annJoin = await join(session, 'Ann')
  const bobJoin = await join(session, 'Bob')
  const ann = await member(session, annJoin.token, 'ann')
  const bob = await member(session, bobJoin.token, 'bob')
  addCard(ann, 'ann-card', 'Ann: the form is too long', annJoin.participant_id)
  addCard(bob, 'bob-card', 'Bob: buy cheap watches', bobJoin.participant_id)
  await waitFor(() => cardText(bob, 'ann-card') !== undefined, { docs: [bob.doc], what: 'Bob to see Ann\'s card' })
  // Another's card is its author's (zone rules): Bob comments on it instead.
  const comment = new Y.Map()
  comment.set('type', 'comment')
  comment.set('parent', 'ann-card')
  comment.set('text', new Y.Text('[spam] watches'))
  comment.set('author', bobJoin.participant_id)
  bob.doc.getMap('items').set('bob-comment', comment)
  const everyone = [moderator, ann, bob]
  await waitFor(() => everyone.every((c) => cardText(c, 'bob-card') !== undefined && cardText(c, 'bob-comment') !== undefined), {
    docs: everyone.map((c) => c.doc), what: 'every client to have both cards and the comment'
  })

  const [status, body] = await api('POST', `/api/sessions/${session.id}/participants/${bobJoin.participant_id}/remove-contributions`, { token: mod })
  assert.equal(status, 200, JSON.stringify(body))
  for (const client of [moderator, ann]) {
    await waitFor(() => cardText(client, 'bob-card') === undefined && cardText(client, 'bob-comment') === undefined && cardText(client, 'ann-card') === 'Ann: the form is too long', {
      docs: [client.doc],
      what: `${client.name} to lose exactly Bob's content`,
      describe: () => JSON.stringify(client.doc.getMap('items').toJSON())
    })
  }
  const late = await member(session, session.invites.observer.token, 'late observer')
  assert.deepEqual(Object.keys(late.doc.getMap('items').toJSON()), ['ann-card'])
  assert.equal(cardText(late, 'ann-card'), 'Ann: the form is too long')
})

test('votes beyond the limit are removed again on every client, the voter\'s included', { skip }, async () => {
  const session = await createSession()
  const mod = session.invites.moderator.token
  const [status] = await api('PATCH', `/api/sessions/${session.id}`, { token: mod, body: { votes_per_participant: 2 } })
  assert.equal(status, 200)
  const annJoin = await join(session, 'Ann')
  const ann = await member(session, annJoin.token, 'ann')
  const moderator = await member(session, mod, 'moderator')
  addCard(ann, 'card', 'Opening hours', annJoin.participant_id)
  // A modified client casts three votes in one transaction, as the web client's `vote` writes them.
  const keys = [0, 1, 2].map((n) => `card|${annJoin.participant_id}|${n}`)
  ann.doc.transact(() => keys.forEach((key) => ann.doc.getMap('votes').set(key, Date.now())))
  const votes = (client) => Array.from(client.doc.getMap('votes').keys()).sort()
  for (const client of [ann, moderator]) {
    await waitFor(() => JSON.stringify(votes(client)) === JSON.stringify(keys.slice(0, 2)), {
      docs: [client.doc], what: `${client.name} to keep two of the three votes`, describe: () => votes(client).join(', ')
    })
  }
})
