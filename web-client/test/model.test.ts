import { describe, it, expect } from 'vitest'
import * as Y from 'yjs'
import * as M from '../src/board/model'
import { exportRows, toCsv, toJson } from '../src/research/export-data'

const alice: M.Author = { participant: 'p_alice', name: 'Alice', language: 'en' }
const bob: M.Author = { participant: 'p_bob', name: 'Bob', language: 'nl' }

function sync (a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}

function journey (): Y.Doc {
  const doc = new Y.Doc()
  M.seed(doc, 'journey-map')
  return doc
}

/** A journey map and its first cell (first lane, first stage), where most tests put their cards. */
function journeyCell (): { doc: Y.Doc, s: M.Axis, l: M.Axis } {
  const doc = journey()
  const [s] = M.stages(doc); const [l] = M.lanes(doc)
  return { doc, s, l }
}

describe('seed', () => {
  it('journey map has five stages and six lanes in order', () => {
    const doc = journey()
    expect(M.schemaOf(doc)).toBe(M.SCHEMA)
    expect(M.templateOf(doc)).toBe('journey-map')
    expect(M.stages(doc).map((s) => s.kind)).toEqual([...M.STAGE_KINDS])
    expect(M.lanes(doc).map((l) => l.kind)).toEqual([...M.JOURNEY_LANES])
  })
  it('service blueprint has the standard lanes; canvas has none', () => {
    const bp = new Y.Doc(); M.seed(bp, 'service-blueprint')
    expect(M.lanes(bp).map((l) => l.kind)).toEqual([...M.BLUEPRINT_LANES])
    const cv = new Y.Doc(); M.seed(cv, 'canvas')
    expect(M.lanes(cv)).toEqual([]); expect(M.templateOf(cv)).toBe('canvas')
  })
  it('two clients seeding the same empty room converge on one board', () => {
    const a = new Y.Doc(); const b = new Y.Doc()
    M.seed(a, 'journey-map'); M.seed(b, 'journey-map')
    sync(a, b)
    expect(M.stages(a)).toEqual(M.stages(b))
    expect(M.stages(a)).toHaveLength(5)
  })
  it('does not reseed a seeded document', () => {
    const doc = journey()
    M.seed(doc, 'canvas')
    expect(M.templateOf(doc)).toBe('journey-map')
  })
})

describe('cards', () => {
  it('adds cards at the end of a cell with author, time and language', () => {
    const { doc, s, l } = journeyCell()
    const c1 = M.addCard(doc, alice, l.id, s.id, 'first')
    const c2 = M.addCard(doc, bob, l.id, s.id, 'second')
    const cell = M.cardsIn(doc, l.id, s.id)
    expect(cell.map((c) => c.id)).toEqual([c1, c2])
    expect(cell[1]).toMatchObject({ author: 'p_bob', authorName: 'Bob', language: 'nl', text: 'second', type: 'card' })
    expect(cell[0].createdAt).toBeGreaterThan(0)
  })
  it('moves a card between cells and within a cell', () => {
    const doc = journey()
    const [s1, s2] = M.stages(doc); const [l1] = M.lanes(doc)
    const a = M.addCard(doc, alice, l1.id, s1.id, 'a')
    const b = M.addCard(doc, alice, l1.id, s1.id, 'b')
    M.moveCard(doc, b, l1.id, s1.id, 0)
    expect(M.cardsIn(doc, l1.id, s1.id).map((c) => c.text)).toEqual(['b', 'a'])
    M.moveCard(doc, a, l1.id, s2.id)
    expect(M.cardsIn(doc, l1.id, s1.id).map((c) => c.id)).toEqual([b])
    expect(M.cardsIn(doc, l1.id, s2.id).map((c) => c.id)).toEqual([a])
  })
  it('concurrent moves of one card to different cells leave it in exactly one cell', () => {
    const a = journey(); const b = new Y.Doc(); sync(a, b)
    const [s1, s2, s3] = M.stages(a); const [l1, l2] = M.lanes(a)
    const id = M.addCard(a, alice, l1.id, s1.id, 'x'); sync(a, b)
    M.moveCard(a, id, l2.id, s2.id)
    M.moveCard(b, id, l1.id, s3.id)
    sync(a, b)
    for (const d of [a, b]) {
      const cells = M.stages(d).flatMap((s) => M.lanes(d).map((l) => M.cardsIn(d, l.id, s.id).filter((c) => c.id === id).length))
      expect(cells.reduce((x, y) => x + y, 0)).toBe(1)
    }
    expect(M.item(a, id)).toEqual(M.item(b, id))
  })
  it('concurrent text edits merge', () => {
    const a = journey(); const b = new Y.Doc(); sync(a, b)
    const [s] = M.stages(a); const [l] = M.lanes(a)
    const id = M.addCard(a, alice, l.id, s.id, 'wait'); sync(a, b)
    M.itemText(a, id)!.insert(0, 'long ')
    M.itemText(b, id)!.insert(4, 'ing')
    sync(a, b)
    expect(M.item(a, id)!.text).toBe('long waiting')
    expect(M.item(b, id)!.text).toBe('long waiting')
  })
  it('delete removes comments, connectors and votes of the item', () => {
    const { doc, s, l } = journeyCell()
    const a = M.addCard(doc, alice, l.id, s.id, 'a')
    const b = M.addCard(doc, alice, l.id, s.id, 'b')
    M.addComment(doc, bob, a, 'why?')
    M.addConnector(doc, alice, a, b)
    M.vote(doc, a, 'p_bob', 5)
    M.deleteItem(doc, a)
    expect(M.allItems(doc).map((i) => i.id)).toEqual([b])
    expect(M.votesMap(doc).size).toBe(0)
  })
})

describe('votes', () => {
  it('limits votes per participant and lets them take one back', () => {
    const { doc, s, l } = journeyCell()
    const a = M.addCard(doc, alice, l.id, s.id, 'a')
    const b = M.addCard(doc, alice, l.id, s.id, 'b')
    expect(M.vote(doc, a, 'p_bob', 2)).toBe(true)
    expect(M.vote(doc, a, 'p_bob', 2)).toBe(true)
    expect(M.vote(doc, b, 'p_bob', 2)).toBe(false)
    expect(M.votesFor(doc, a)).toBe(2)
    expect(M.myVotesOn(doc, a, 'p_bob')).toBe(2)
    expect(M.unvote(doc, a, 'p_bob')).toBe(true)
    expect(M.vote(doc, b, 'p_bob', 2)).toBe(true)
    expect(M.votesUsed(doc, 'p_bob')).toBe(2)
    expect(M.voteCounts(doc)).toEqual(new Map([[a, 1], [b, 1]]))
  })
  it('votes from two clients on the same item both count', () => {
    const a = journey(); const b = new Y.Doc(); sync(a, b)
    const [s] = M.stages(a); const [l] = M.lanes(a)
    const id = M.addCard(a, alice, l.id, s.id, 'a'); sync(a, b)
    M.vote(a, id, 'p_alice', 5); M.vote(b, id, 'p_bob', 5)
    sync(a, b)
    expect(M.votesFor(a, id)).toBe(2); expect(M.votesFor(b, id)).toBe(2)
  })
})

describe('structure', () => {
  it('adds, renames, reorders and deletes stages and lanes', () => {
    const doc = journey()
    const first = M.stages(doc)[0]
    const id = M.addStage(doc, 'Complain', first.id)
    expect(M.stages(doc).map((s) => s.id).indexOf(id)).toBe(1)
    M.reorderAxis(doc, 'stages', id, -1)
    expect(M.stages(doc)[0].id).toBe(id)
    M.reorderAxis(doc, 'stages', id, 1)
    expect(M.stages(doc)[1].id).toBe(id)
    M.renameAxis(doc, 'stages', id, 'Object')
    expect(M.stages(doc)[1].title).toBe('Object')
    const lane = M.addLane(doc, 'Feelings')
    expect(M.lanes(doc).at(-1)!.id).toBe(lane)
    M.addCard(doc, alice, lane, id, 'x')
    expect(M.deleteAxis(doc, 'lanes', lane)).toBe(false)
    expect(M.deleteAxis(doc, 'lanes', M.lanes(doc)[0].id)).toBe(true)
  })
  it('the emotion curve averages everyone\'s own value, clamped to -2..+2', () => {
    const doc = journey()
    const [s, s2] = M.stages(doc)
    M.setEmotion(doc, s.id, 'p_alice', 5)
    expect(M.emotion(doc, s.id)).toBe(2)
    M.setEmotion(doc, s.id, 'p_alice', -1.4)
    expect(M.myEmotion(doc, s.id, 'p_alice')).toBe(-1)
    M.setEmotion(doc, s.id, 'p_bob', 2)
    M.setEmotion(doc, s.id, 'p_carl', 2)
    expect(M.emotion(doc, s.id)).toBe(1)
    expect(M.emotionCount(doc, s.id)).toBe(3)
    expect(M.emotion(doc, s2.id)).toBeUndefined()
    M.setEmotion(doc, s.id, 'p_alice', undefined)
    expect(M.emotionCount(doc, s.id)).toBe(2)
  })
  it('two people setting the same stage at once both count', () => {
    const a = journey(); const b = new Y.Doc()
    sync(a, b)
    const [s] = M.stages(a)
    M.setEmotion(a, s.id, 'p_alice', -2)
    M.setEmotion(b, s.id, 'p_bob', 1)
    sync(a, b)
    expect(M.emotion(a, s.id)).toBe(-0.5)
    expect(M.emotion(b, s.id)).toBe(-0.5)
  })
})

describe('canvas', () => {
  it('notes, geometry, colour and reading order', () => {
    const doc = new Y.Doc(); M.seed(doc, 'canvas')
    const n1 = M.addNote(doc, alice, 400, 10, 'right')
    const n2 = M.addNote(doc, alice, 10, 20, 'left')
    const n3 = M.addNote(doc, alice, 10, 300, 'below')
    expect(M.readingOrder(M.allItems(doc)).map((i) => i.id)).toEqual([n2, n1, n3])
    M.setGeometry(doc, n1, { x: -5, w: 10 })
    expect(M.item(doc, n1)).toMatchObject({ x: 0, w: 80 })
    M.setColor(doc, n1, 'pink'); M.setColor(doc, n1, 'url(evil)')
    expect(M.item(doc, n1)!.color).toBe('pink')
    expect(M.addConnector(doc, alice, n1, n1)).toBeUndefined()
    const c = M.addConnector(doc, alice, n1, n2, false)!
    expect(M.addConnector(doc, alice, n1, n2)).toBe(c)
    expect(M.item(doc, c)).toMatchObject({ type: 'connector', from: n1, to: n2, directed: false })
    const g = M.addGroup(doc, alice, 0, 0, 600, 400, 'Cluster')
    expect(M.item(doc, g)).toMatchObject({ type: 'group', text: 'Cluster' })
  })
  it('connectors can be made two-way and back', () => {
    const doc = new Y.Doc(); M.seed(doc, 'canvas')
    const a = M.addNote(doc, alice, 0, 0); const b = M.addNote(doc, alice, 300, 0)
    const c = M.addConnector(doc, alice, a, b)!
    expect(M.item(doc, c)!.directed).toBe(true)
    M.setDirected(doc, c, false)
    expect(M.item(doc, c)!.directed).toBe(false)
    M.setDirected(doc, a, false) // not a connector: untouched
    expect(M.itemsMap(doc).get(a)!.has('directed')).toBe(false)
  })
  it('a note dropped into a group is a member, moves with it, and leaves when moved out', () => {
    const doc = new Y.Doc(); M.seed(doc, 'canvas')
    const g = M.addGroup(doc, alice, 100, 100, 400, 300, 'Waiting')
    const inside = M.addNote(doc, alice, 600, 600, 'queue')
    const outside = M.addNote(doc, alice, 700, 600, 'parking')
    M.setGeometry(doc, inside, { x: 150, y: 150 })
    expect(M.membersOf(doc, g).map((n) => n.id)).toEqual([inside])
    M.setGeometry(doc, g, { x: 200, y: 120 })
    expect(M.item(doc, inside)).toMatchObject({ x: 250, y: 170, group: g })
    expect(M.item(doc, outside)).toMatchObject({ x: 700, y: 600 })
    M.setGeometry(doc, inside, { x: 900 })
    expect(M.membersOf(doc, g)).toEqual([])
    // by keyboard: joining places the note inside the group's rectangle
    M.joinGroup(doc, outside, g)
    const n = M.item(doc, outside)!
    expect(n.group).toBe(g)
    expect(M.groupAt(doc, n.x! + 80, n.y! + 60)).toBe(g)
    M.joinGroup(doc, outside, undefined)
    expect(M.item(doc, outside)!.group).toBeUndefined()
    // deleting a group keeps its notes, without membership
    M.joinGroup(doc, outside, g)
    M.deleteItem(doc, g)
    expect(M.item(doc, outside)).toMatchObject({ type: 'note', group: undefined })
  })
})

describe('schema', () => {
  it('migrates a schema-0 document (no meta.schema, items without type)', () => {
    const doc = new Y.Doc()
    M.meta(doc).set('template', 'journey-map')
    const card = new Y.Map<unknown>(); card.set('text', new Y.Text('old')); card.set('lane', 'l'); card.set('stage', 's'); card.set('order', 'a0')
    const note = new Y.Map<unknown>(); note.set('text', new Y.Text('n')); note.set('x', 1); note.set('y', 2)
    M.itemsMap(doc).set('c', card); M.itemsMap(doc).set('n', note)
    M.migrate(doc)
    expect(M.schemaOf(doc)).toBe(M.SCHEMA)
    expect(M.item(doc, 'c')!.type).toBe('card')
    expect(M.item(doc, 'n')!.type).toBe('note')
  })
  it('migrates a schema-1 document: its shared emotion values stay until people give their own', () => {
    const doc = journey()
    M.meta(doc).set('schema', 1)
    const [s] = M.stages(doc)
    M.emotionsMap(doc).set(s.id, -2)
    M.migrate(doc)
    expect(M.schemaOf(doc)).toBe(2)
    expect(M.emotion(doc, s.id)).toBe(-2)
    M.setEmotion(doc, s.id, 'p_alice', 1)
    expect(M.emotion(doc, s.id)).toBe(1)
  })
  it('recognises a newer schema', () => {
    const doc = journey(); M.meta(doc).set('schema', M.SCHEMA + 1)
    expect(M.isNewerSchema(doc)).toBe(true)
  })
  it('renders a hidden item without text', () => {
    const { doc, s, l } = journeyCell()
    const id = M.addCard(doc, alice, l.id, s.id, 'secret')
    const m = M.itemsMap(doc).get(id)!
    m.delete('text'); m.set('hidden', { reason: 'personal data', at: 1, pending_review: false })
    expect(M.item(doc, id)).toMatchObject({ text: '', hidden: { reason: 'personal data' } })
    expect((toJson(doc) as { items: Record<string, Record<string, unknown>> }).items[id].text).toBeUndefined()
  })
})

describe('export', () => {
  it('CSV quotes, escapes and defuses formulas', () => {
    const { doc, s, l } = journeyCell()
    M.addCard(doc, alice, l.id, s.id, '=HYPERLINK("x")')
    M.addCard(doc, alice, l.id, s.id, 'a, "b"\nc')
    const csv = toCsv(exportRows(doc, (_w, a) => a.title || a.kind))
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe('id,type,template,lane,stage,parent,from,to,group,text,author,author_name,created_at,language,votes,hidden')
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`)
    expect(csv).toContain('"a, ""b""\nc"')
    expect(csv).toContain(',actions,aware,')
  })
})
