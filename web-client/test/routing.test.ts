import { describe, it, expect } from 'vitest'
import * as Y from 'yjs'
import * as M from '../src/board/model'
import { BoardIndex, itemTopic, cellTopic, nameTopic, stageTopic, laneTopic, CONNECTORS, CANVAS, VOTES, type Topic } from '../src/board/routing'

const alice: M.Author = { participant: 'p_alice', name: 'Alice', language: 'en' }

/** A board with its index, and the topics each transaction on `items` or `votes` touched. */
function watched (template: M.Template): { doc: Y.Doc, index: BoardIndex, touched: Topic[][] } {
  const doc = new Y.Doc()
  M.seed(doc, template)
  const index = new BoardIndex(doc)
  const touched: Topic[][] = []
  M.itemsMap(doc).observeDeep((events) => touched.push([...index.itemsChanged(events)].sort()))
  M.votesMap(doc).observe((ev) => touched.push([...index.votesChanged(ev)].sort()))
  return { doc, index, touched }
}

describe('routing: a change names what shows it', () => {
  it('a keystroke in a card touches that card only, also when it comes from another client', () => {
    const { doc, index, touched } = watched('journey-map')
    const [s] = M.stages(doc); const [l] = M.lanes(doc)
    const a = M.addCard(doc, alice, l.id, s.id, 'first')
    M.addCard(doc, alice, l.id, s.id, 'second')
    touched.length = 0
    M.itemText(doc, a)!.insert(5, '!')
    expect(touched).toEqual([[itemTopic(a), nameTopic(a)].sort()])
    const remote = new Y.Doc()
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc))
    const before = Y.encodeStateVector(remote)
    M.itemText(remote, a)!.insert(0, '>')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, before))
    expect(touched[1]).toEqual([itemTopic(a), nameTopic(a)].sort())
    expect(index.cardsIn(l.id, s.id)).toHaveLength(2)
  })

  it('adding and moving a card touch the cells, stages and lanes it leaves and enters', () => {
    const { doc, index, touched } = watched('journey-map')
    const [s1, s2] = M.stages(doc); const [l] = M.lanes(doc)
    const a = M.addCard(doc, alice, l.id, s1.id, 'a')
    const b = M.addCard(doc, alice, l.id, s1.id, 'b')
    expect(touched[0]).toEqual(expect.arrayContaining([itemTopic(a), cellTopic(l.id, s1.id), stageTopic(s1.id), laneTopic(l.id)]))
    expect(index.cardsIn(l.id, s1.id)).toEqual([a, b])
    M.moveCard(doc, b, l.id, s1.id, 0)
    expect(index.cardsIn(l.id, s1.id)).toEqual([b, a])
    touched.length = 0
    M.moveCard(doc, a, l.id, s2.id)
    expect(touched[0]).toEqual(expect.arrayContaining([cellTopic(l.id, s1.id), cellTopic(l.id, s2.id), stageTopic(s1.id), stageTopic(s2.id)]))
    expect(index.cardsIn(l.id, s1.id)).toEqual([b])
    expect(index.cardsIn(l.id, s2.id)).toEqual([a])
    expect(index.hasCards('stages', s2.id)).toBe(true)
    expect(index.hasCards('stages', M.stages(doc)[2].id)).toBe(false)
  })

  it('deleting a card reaches its cell, the other end of its arrow and the arrows, whose data is gone', () => {
    const { doc, index, touched } = watched('service-blueprint')
    const [s] = M.stages(doc); const [l] = M.lanes(doc)
    const a = M.addCard(doc, alice, l.id, s.id, 'a')
    const b = M.addCard(doc, alice, l.id, s.id, 'b')
    const c = M.addComment(doc, alice, a, 'why?')
    expect(index.commentsOf(a).map((i) => i.id)).toEqual([c])
    const arrow = M.addConnector(doc, alice, a, b)!
    expect(index.connectorsOf(b).map((i) => i.id)).toEqual([arrow])
    touched.length = 0
    M.deleteItem(doc, a)
    expect(touched[0]).toEqual(expect.arrayContaining([itemTopic(a), itemTopic(b), cellTopic(l.id, s.id), CONNECTORS]))
    expect(index.connectorsOf(b)).toEqual([])
    expect(index.commentsOf(a)).toEqual([])
    expect(index.cardsIn(l.id, s.id)).toEqual([b])
  })

  it('a comment\'s text touches the card it hangs on; a vote touches the voted card and the count', () => {
    const { doc, touched } = watched('journey-map')
    const [s] = M.stages(doc); const [l] = M.lanes(doc)
    const a = M.addCard(doc, alice, l.id, s.id, 'a')
    const c = M.addComment(doc, alice, a, 'x')
    touched.length = 0
    M.itemText(doc, c)!.insert(1, 'y')
    expect(touched[0]).toEqual([itemTopic(a), itemTopic(c), nameTopic(c)].sort())
    M.vote(doc, a, 'p_bob', 5)
    expect(touched[1]).toEqual([itemTopic(a), VOTES].sort())
  })

  it('canvas: moving a note touches the canvas and its group, and the group lists it', () => {
    const { doc, index, touched } = watched('canvas')
    const g = M.addGroup(doc, alice, 0, 0, 400, 300)
    const n = M.addNote(doc, alice, 600, 600)
    touched.length = 0
    M.setGeometry(doc, n, { x: 100, y: 100 })
    expect(touched[0]).toEqual(expect.arrayContaining([itemTopic(n), CANVAS, itemTopic(g)]))
    expect(index.membersOf(g).map((i) => i.id)).toEqual([n])
    expect(index.canvasItems().map((i) => i.id)).toEqual([g, n])
  })
})
