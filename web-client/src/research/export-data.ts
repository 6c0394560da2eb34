//! What the board's CSV and JSON exports hold: one row per item (names of stages and lanes in
//! words, hidden text left out, spreadsheet formulas defused) and the whole document as plain JSON.
//! No DOM: unit-tested.

import * as Y from 'yjs'
import { allItems, emotionVotesMap, emotionsMap, itemsMap, lanes, schemaOf, stages, templateOf, votesFor, votesMap, type Axis } from '../board/model'

export interface ExportRow {
  id: string, type: string, template: string, lane: string, stage: string, parent: string, from: string, to: string, group: string,
  text: string, author: string, author_name: string, created_at: string, language: string, votes: number, hidden: string
}

export function exportRows (doc: Y.Doc, axisName: (which: 'stages' | 'lanes', a: Axis) => string): ExportRow[] {
  const stageById = new Map(stages(doc).map((a) => [a.id, axisName('stages', a)]))
  const laneById = new Map(lanes(doc).map((a) => [a.id, axisName('lanes', a)]))
  const t = templateOf(doc) ?? ''
  return allItems(doc).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((i) => ({
    id: i.id,
    type: i.type,
    template: t,
    lane: i.lane ? laneById.get(i.lane) ?? i.lane : '',
    stage: i.stage ? stageById.get(i.stage) ?? i.stage : '',
    parent: i.parent ?? '',
    from: i.from ?? '',
    to: i.to ?? '',
    group: i.group ?? '',
    text: i.hidden ? '' : i.text,
    author: i.author,
    author_name: i.authorName,
    created_at: i.createdAt ? new Date(i.createdAt).toISOString() : '',
    language: i.language,
    votes: votesFor(doc, i.id),
    hidden: i.hidden ? i.hidden.reason || 'hidden' : ''
  }))
}

const csvCell = (v: string | number): string => {
  let s = String(v)
  // spreadsheet formula injection: a cell starting with = + - @ is read as a formula
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv (rows: ExportRow[]): string {
  const cols: (keyof ExportRow)[] = ['id', 'type', 'template', 'lane', 'stage', 'parent', 'from', 'to', 'group', 'text', 'author', 'author_name', 'created_at', 'language', 'votes', 'hidden']
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n'
}

/** The whole board as plain JSON (hidden items without text), schema-versioned. */
export function toJson (doc: Y.Doc): unknown {
  const items: Record<string, unknown> = {}
  itemsMap(doc).forEach((m, id) => {
    if (!(m instanceof Y.Map)) return
    const o = m.toJSON() as Record<string, unknown>
    if (o.hidden) delete o.text
    items[id] = o
  })
  return {
    schema: schemaOf(doc),
    template: templateOf(doc),
    stages: stages(doc),
    lanes: lanes(doc),
    items,
    votes: votesMap(doc).toJSON(),
    emotions: emotionsMap(doc).toJSON(),
    emotion_votes: emotionVotesMap(doc).toJSON()
  }
}
