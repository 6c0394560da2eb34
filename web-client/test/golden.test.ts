// The golden board documents (board/golden/, see its README) read by the web client's model:
// the server's seed, the client's seed, a board the client wrote and the schema-1 seed servers
// wrote before, per template, each a Yjs update with the JSON the server reads from it
// (`board_json`). The Rust tests of
// cocreate-board load the same files, so a schema change on one side fails the other's tests.
// `COCREATE_BLESS=1 npx vitest run --config vitest.config.ts test/golden.test.ts` rewrites the
// client's side (client-seed, client-board) before checking it.
import { beforeAll, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import * as M from '../src/board/model'
import { docFromBoard, type BoardJson } from '../src/research/history'

/** The part of Node's `fs` used here (the web client carries no Node type declarations). */
interface Files {
  readFileSync: (path: URL) => Uint8Array
  writeFileSync: (path: URL, data: Uint8Array | string) => void
}
const node = (globalThis as unknown as {
  process: { env: Record<string, string | undefined>, getBuiltinModule: (id: string) => unknown }
}).process
const fs = node.getBuiltinModule('node:fs') as Files
const BLESS = node.env.COCREATE_BLESS === '1'

/** The client id of the golden client documents (random in a browser). */
const CLIENT = 2_000_000
/** The time the golden client board was written at. */
const WRITTEN_AT = 1_700_000_000_000

type Json = Record<string, unknown>

const golden = (template: M.Template, name: string): URL =>
  new URL(`../../board/golden/${template}/${name}`, import.meta.url)
const goldenJson = (template: M.Template, name: string): Json =>
  JSON.parse(new TextDecoder().decode(fs.readFileSync(golden(template, `${name}.json`)))) as Json
const goldenBoard = (template: M.Template, name: string): Y.Doc => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, fs.readFileSync(golden(template, `${name}.bin`)))
  return doc
}

/**
 * The board as the server reads it (`board_json` with nothing beyond pseudonyms to disclose):
 * every root, item texts as strings and without display names, votes counted per item, emotion
 * votes averaged per stage.
 */
function boardJson (doc: Y.Doc): Json {
  const items: Json = {}
  M.itemsMap(doc).forEach((m, id) => {
    if (!(m instanceof Y.Map)) return
    const item = m.toJSON() as Json
    delete item.author_name
    items[id] = item
  })
  const votes: Record<string, number> = {}
  M.votesMap(doc).forEach((_, key) => {
    const item = key.split('|')[0]
    votes[item] = (votes[item] ?? 0) + 1
  })
  const sums: Record<string, { sum: number, count: number }> = {}
  M.emotionVotesMap(doc).forEach((value, key) => {
    if (typeof value !== 'number') return
    const stage = sums[key.split('|')[0]] ??= { sum: 0, count: 0 }
    stage.sum += value
    stage.count += 1
  })
  const emotionVotes = Object.fromEntries(Object.entries(sums)
    .map(([stage, { sum, count }]) => [stage, { average: sum / count, count }]))
  return {
    meta: M.meta(doc).toJSON(),
    stages: M.stagesMap(doc).toJSON(),
    lanes: M.lanesMap(doc).toJSON(),
    items,
    votes,
    emotions: M.emotionsMap(doc).toJSON(),
    emotion_votes: emotionVotes
  }
}

function seeded (template: M.Template): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = CLIENT
  M.seed(doc, template)
  return doc
}

/** A board in use, written through the model: items of every kind the template has, votes, emotions. */
function clientBoard (template: M.Template): Y.Doc {
  const doc = seeded(template)
  const ann: M.Author = { participant: 'p_ann', name: 'Ann', language: 'nl' }
  const ben: M.Author = { participant: 'p_ben', name: 'Ben', language: 'en' }
  if (template === 'canvas') {
    const group = M.addGroup(doc, ann, 40, 40, 400, 300, 'Waiting')
    const queue = M.addNote(doc, ann, 60, 80, 'Long queue at the desk', 'pink')
    M.joinGroup(doc, queue, group)
    const parking = M.addNote(doc, ben, 600, 80, 'No parking')
    M.addConnector(doc, ben, queue, parking)
    M.addComment(doc, ben, queue, 'Same for me')
    M.vote(doc, queue, ben.participant, 3)
    return doc
  }
  const [stage, next] = M.stages(doc)
  const [lane] = M.lanes(doc)
  const queue = M.addCard(doc, ann, lane.id, stage.id, 'Long queue at the desk')
  const phone = M.addCard(doc, ben, lane.id, next.id, 'Nobody answers the phone')
  M.deleteItem(doc, M.addCard(doc, ben, lane.id, stage.id, 'typo'))
  M.addComment(doc, ben, queue, 'Same for me')
  if (template === 'service-blueprint') M.addConnector(doc, ann, queue, phone)
  M.vote(doc, queue, ann.participant, 3)
  M.vote(doc, queue, ben.participant, 3)
  M.setEmotion(doc, stage.id, ann.participant, -2)
  M.setEmotion(doc, stage.id, ben.participant, 1)
  return doc
}

beforeAll(() => {
  if (!BLESS) return
  // Reproducible ids and times, so that a rewrite changes only what the model changed.
  vi.spyOn(Date, 'now').mockReturnValue(WRITTEN_AT)
  vi.spyOn(crypto, 'getRandomValues').mockImplementation((array) => array)
  for (const template of M.TEMPLATES) {
    for (const [name, doc] of [['client-seed', seeded(template)], ['client-board', clientBoard(template)]] as const) {
      fs.writeFileSync(golden(template, `${name}.bin`), Y.encodeStateAsUpdate(doc))
      fs.writeFileSync(golden(template, `${name}.json`), `${JSON.stringify(boardJson(doc), null, 2)}\n`)
    }
  }
  vi.restoreAllMocks()
})

describe.each(M.TEMPLATES)('golden %s board', (template) => {
  it('the client seeds what client-seed holds', () => {
    expect(boardJson(seeded(template))).toEqual(goldenJson(template, 'client-seed'))
    expect(boardJson(goldenBoard(template, 'client-seed'))).toEqual(goldenJson(template, 'client-seed'))
  })

  it('reads the server seed as the server does: the board the client seeds, at its schema', () => {
    const doc = goldenBoard(template, 'server-seed')
    const json = boardJson(doc)
    expect(json).toEqual(goldenJson(template, 'server-seed'))
    expect(json).toEqual(goldenJson(template, 'client-seed'))
    expect(M.schemaOf(doc)).toBe(M.SCHEMA)
    expect(M.templateOf(doc)).toBe(template)
    const lanes = { 'journey-map': M.JOURNEY_LANES, 'service-blueprint': M.BLUEPRINT_LANES, canvas: [] }[template]
    expect(M.stages(doc).map((s) => s.kind)).toEqual(template === 'canvas' ? [] : [...M.STAGE_KINDS])
    expect(M.lanes(doc).map((l) => l.kind)).toEqual([...lanes])
    // the model's roots are the ones the server reads
    expect([...doc.share.keys()].sort()).toEqual(Object.keys(json).sort())
  })

  it('upgrades the schema-1 board servers seeded before to the board it seeds', () => {
    const doc = goldenBoard(template, 'server-seed-schema-1')
    expect(boardJson(doc)).toEqual(goldenJson(template, 'server-seed-schema-1'))
    expect(M.schemaOf(doc)).toBe(1)
    M.migrate(doc)
    expect(boardJson(doc)).toEqual(goldenJson(template, 'client-seed'))
  })

  it('reads the board it wrote as the server does, and its own readers agree', () => {
    const doc = goldenBoard(template, 'client-board')
    const json = goldenJson(template, 'client-board')
    expect(boardJson(doc)).toEqual(json)
    const items = json.items as Record<string, { type: string, text: string }>
    const views = M.allItems(doc)
    expect(views.map((i) => i.id).sort()).toEqual(Object.keys(items).sort())
    for (const view of views) {
      expect({ type: view.type, text: view.text }).toEqual({ type: items[view.id].type, text: items[view.id].text })
      expect(M.votesFor(doc, view.id)).toBe((json.votes as Record<string, number>)[view.id] ?? 0)
    }
  })

  it('replay rebuilds each board from the JSON the server answers with', () => {
    for (const name of ['server-seed', 'client-board']) {
      const json = goldenJson(template, name)
      expect(boardJson(docFromBoard(json as BoardJson))).toEqual(json)
    }
  })
})
