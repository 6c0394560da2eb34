//! The board document's shape (README.md, "The board document (schema 2)"): its schema version, templates,
//! stage and lane kinds, the roots of the Y.Doc, and the plain views of its items and axes that the
//! rest of the model reads and writes. One model for all three templates; no DOM.

import type * as Y from 'yjs'

/**
 * The schema version this client writes; older documents are upgraded by `migrate`.
 * 2: the emotion curve is everyone's own value per stage, averaged (`emotion_votes`); schema-1
 * clients wrote one shared value (`emotions`) and would write it where no one reads it any more.
 */
export const SCHEMA = 2

export type Template = 'journey-map' | 'service-blueprint' | 'canvas'
export const TEMPLATES: Template[] = ['journey-map', 'service-blueprint', 'canvas']

export type ItemType = 'card' | 'note' | 'comment' | 'connector' | 'group'

export const STAGE_KINDS = ['aware', 'apply', 'wait', 'receive', 'follow-up'] as const
export const JOURNEY_LANES = ['actions', 'touchpoints', 'thoughts', 'emotions', 'pain-points', 'opportunities'] as const
export const BLUEPRINT_LANES = ['physical-evidence', 'customer-actions', 'frontstage', 'backstage', 'support'] as const

/** The blueprint's lines, each drawn below the lane it names. */
export const BLUEPRINT_LINES: Record<string, 'interaction' | 'visibility' | 'internal'> = {
  'customer-actions': 'interaction',
  frontstage: 'visibility',
  backstage: 'internal'
}

export const NOTE_COLORS = ['yellow', 'pink', 'blue', 'green', 'orange', 'purple'] as const

/** Who is writing: the participant id is the pseudonym the server put in the token. */
export interface Author {
  participant: string
  name: string
  language: string
}

export interface Axis { id: string, kind: string, title: string, order: string }

export interface Hidden { reason: string, at?: number, pending_review?: boolean }

export interface ItemView {
  id: string
  type: ItemType
  text: string
  author: string
  authorName: string
  createdAt: number
  language: string
  lane?: string
  stage?: string
  order?: string
  parent?: string
  from?: string
  to?: string
  directed?: boolean
  x?: number
  y?: number
  w?: number
  h?: number
  color?: string
  /** Canvas notes: the group the note belongs to (an item id), if any. */
  group?: string
  hidden?: Hidden
  /** A card the server carried from another session of the process (issue 20): where it came from. */
  origin?: Origin
}

/** The source session and item of a carried card; its author fields stay the original author's. */
export interface Origin { session: string, item: string }

export const meta = (doc: Y.Doc): Y.Map<unknown> => doc.getMap('meta')
export const stagesMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('stages')
export const lanesMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('lanes')
export const itemsMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('items')
export const votesMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('votes')
export const emotionsMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('emotions')
export const emotionVotesMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('emotion_votes')

let idCounter = 0
/** A stable, collision-free id: random part plus a per-tab counter. */
export function newId (prefix: string): string {
  const rnd = typeof crypto !== 'undefined' && 'getRandomValues' in crypto
    ? Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
    : Math.random().toString(16).slice(2)
  idCounter += 1
  return `${prefix}_${rnd}${idCounter.toString(36)}`
}

export function templateOf (doc: Y.Doc): Template | undefined {
  const t = meta(doc).get('template')
  return TEMPLATES.includes(t as Template) ? (t as Template) : undefined
}

export function schemaOf (doc: Y.Doc): number {
  const s = meta(doc).get('schema')
  return typeof s === 'number' ? s : 0
}

/** True when this client can render the document (a newer schema is shown read-only). */
export const isNewerSchema = (doc: Y.Doc): boolean => schemaOf(doc) > SCHEMA
