//! A new board from a template, and older documents upgraded to this client's schema.

import type * as Y from 'yjs'
import { generateKeyBetween } from 'fractional-indexing'
import { BLUEPRINT_LANES, JOURNEY_LANES, SCHEMA, STAGE_KINDS, itemsMap, lanesMap, meta, schemaOf, stagesMap, templateOf, type Template } from './schema'
import { axisMap } from './axes'

function ordersFor (n: number): string[] {
  const out: string[] = []
  let prev: string | null = null
  for (let i = 0; i < n; i++) { prev = generateKeyBetween(prev, null); out.push(prev) }
  return out
}

/**
 * Seed an empty document from a template, as the server does at session creation. Only used for
 * development rooms (`--open-rooms`), which no server seeds. Deterministic ids, so that two
 * clients seeding the same empty room at once converge on one board (same keys, last writer wins).
 */
export function seed (doc: Y.Doc, template: Template): void {
  if (templateOf(doc)) return
  doc.transact(() => {
    meta(doc).set('schema', SCHEMA)
    meta(doc).set('template', template)
    if (template === 'canvas') return
    const so = ordersFor(STAGE_KINDS.length)
    STAGE_KINDS.forEach((k, i) => stagesMap(doc).set(`stage-${k}`, axisMap(k, so[i])))
    const lanes = template === 'journey-map' ? JOURNEY_LANES : BLUEPRINT_LANES
    const lo = ordersFor(lanes.length)
    lanes.forEach((k, i) => lanesMap(doc).set(`lane-${k}`, axisMap(k, lo[i])))
  })
}

/** Upgrade an older document in place (schema 0 = documents before versioning: no `meta.schema`). */
export function migrate (doc: Y.Doc): void {
  const from = schemaOf(doc)
  if (from >= SCHEMA || !templateOf(doc)) return
  doc.transact(() => {
    if (from < 1) {
      // schema 0 had no `type` on items: cards are the items placed in a cell, notes the others
      itemsMap(doc).forEach((m) => {
        if (!m.has('type')) m.set('type', m.has('lane') ? 'card' : 'note')
      })
    }
    // 1 -> 2 changes no data: a stage's shared `emotions` value stays what the curve shows
    // until someone gives their own value there (see `emotion`)
    meta(doc).set('schema', SCHEMA)
  })
}
