//! Stages and lanes (the journey map's and blueprint's columns and rows): read in order, added,
//! renamed, moved and deleted.

import * as Y from 'yjs'
import { generateKeyBetween } from 'fractional-indexing'
import { lanesMap, newId, stagesMap, type Axis } from './schema'
import { byOrder } from './fields'
import { allItems } from './read'

/** A new stage or lane of a kind (its name comes from the kind until someone gives it a title). */
export function axisMap (kind: string, order: string): Y.Map<unknown> {
  const m = new Y.Map<unknown>()
  m.set('kind', kind)
  m.set('title', '')
  m.set('order', order)
  return m
}

function axes (m: Y.Map<Y.Map<unknown>>): Axis[] {
  const out: Axis[] = []
  m.forEach((v, id) => {
    if (!(v instanceof Y.Map)) return
    out.push({ id, kind: String(v.get('kind') ?? 'custom'), title: String(v.get('title') ?? ''), order: String(v.get('order') ?? '') })
  })
  return out.sort(byOrder)
}

export const stages = (doc: Y.Doc): Axis[] => axes(stagesMap(doc))
export const lanes = (doc: Y.Doc): Axis[] => axes(lanesMap(doc))

function addAxis (m: Y.Map<Y.Map<unknown>>, prefix: string, title: string, afterId?: string): string {
  const list = axes(m)
  const i = afterId ? list.findIndex((a) => a.id === afterId) : list.length - 1
  const before = i >= 0 ? list[i].order || null : null
  const after = i + 1 < list.length ? list[i + 1].order || null : null
  const id = newId(prefix)
  const a = axisMap('custom', generateKeyBetween(before, after))
  a.set('title', title)
  m.set(id, a)
  return id
}

export const addStage = (doc: Y.Doc, title: string, afterId?: string): string => addAxis(stagesMap(doc), 'stage', title, afterId)
export const addLane = (doc: Y.Doc, title: string, afterId?: string): string => addAxis(lanesMap(doc), 'lane', title, afterId)

export function renameAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string, title: string): void {
  const m = (which === 'stages' ? stagesMap(doc) : lanesMap(doc)).get(id)
  if (m instanceof Y.Map) m.set('title', title)
}

/** Move a stage or lane one place left/up (-1) or right/down (+1). */
export function reorderAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string, delta: -1 | 1): void {
  const map = which === 'stages' ? stagesMap(doc) : lanesMap(doc)
  const list = axes(map)
  const i = list.findIndex((a) => a.id === id)
  const j = i + delta
  if (i < 0 || j < 0 || j >= list.length) return
  const others = list.filter((a) => a.id !== id)
  // position j among the others
  const before = j > 0 ? others[j - 1].order || null : null
  const after = j < others.length ? others[j].order || null : null
  map.get(id)?.set('order', generateKeyBetween(before, after))
}

/** Delete a stage or lane that holds no cards (cards are never deleted implicitly). */
export function deleteAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string): boolean {
  const key = which === 'stages' ? 'stage' : 'lane'
  if (allItems(doc).some((i) => i.type === 'card' && i[key] === id)) return false
  ;(which === 'stages' ? stagesMap(doc) : lanesMap(doc)).delete(id)
  return true
}
