//! The method library (issue 27, part 5): ready agendas a moderator picks and adapts before
//! saving them (PUT …/agenda). A method is data: its steps' settings and the words of their
//! titles, which are in every UI language (i18n/*.ts, keys `method.<id>.*`).

import { everyOf } from '../api/client'
import { t, type Key, type Lang } from '../i18n'
import type { StepMethod, StepRequest } from './api'
import type { Access, Zones } from '../board/rules'

/** How a step is run, in the order a facilitator's menu lists them (every method of openapi.json). */
export const STEP_METHODS = everyOf<StepMethod>()(['brainwrite', 'discuss', 'cluster', 'vote', 'review', 'custom'])

/**
 * One step of a library method: its settings, with its title as the suffix of an i18n key; its
 * zones name lanes by kind (`lane:pain-points`), which become the board's lanes of that kind.
 */
interface MethodStep extends Omit<StepRequest, 'id' | 'title' | 'zones'> { title: string, zones?: Record<string, Access> }

/** A zone of the board a method is loaded onto: its name, and a lane's kind. */
export interface BoardZone { zone: string, name: string, kind?: string }

interface Method {
  /** The boards it is made for (any, when absent). */
  templates?: string[]
  steps: MethodStep[]
}

/**
 * The library. Durations are suggestions a moderator changes before saving; a step without
 * `minutes` runs until the moderator ends it.
 */
const LIBRARY: Record<'journey-map' | 'blueprint' | '1-2-4-all', Method> = {
  /** Write pains alone, reveal them together, sort, vote without herding, decide (DOMAIN.md). */
  'journey-map': {
    templates: ['journey-map'],
    steps: [
      // pains only, new cards only: nobody rewrites the stages or another lane meanwhile
      { title: 'write', method: 'brainwrite', minutes: 10, private: true, zones: { 'lane:pain-points': 'add' } },
      // the discussion turns pains into opportunities
      { title: 'discuss', method: 'discuss', minutes: 15, zones: { 'lane:pain-points': 'edit', 'lane:opportunities': 'add' } },
      { title: 'cluster', method: 'cluster', minutes: 15 },
      { title: 'vote', method: 'vote', minutes: 5, votes: 3, secret: true, zones: { 'lane:pain-points': 'read', 'lane:opportunities': 'read' } },
      // the officials decide and explain: the board stands still, comments stay open
      { title: 'review', method: 'review', zones: { 'lane:pain-points': 'read', 'lane:opportunities': 'read', votes: 'read' } }
    ]
  },
  /** Walk the blueprint lane by lane: where the organisation fails the person, then what to fix. */
  blueprint: {
    templates: ['service-blueprint'],
    steps: [
      { title: 'walk', method: 'discuss', minutes: 10 },
      { title: 'frontstage', method: 'brainwrite', minutes: 10 },
      { title: 'failures', method: 'brainwrite', minutes: 10, private: true },
      { title: 'discuss', method: 'discuss', minutes: 15 },
      { title: 'vote', method: 'vote', minutes: 5, votes: 3, secret: true },
      { title: 'review', method: 'review' }
    ]
  },
  /** Liberating Structures' 1-2-4-All: alone 1 min, pairs 2, fours 4, then the whole group. */
  '1-2-4-all': {
    steps: [
      { title: 'alone', method: 'brainwrite', minutes: 1, private: true },
      { title: 'pairs', method: 'discuss', minutes: 2 },
      { title: 'fours', method: 'discuss', minutes: 4 },
      { title: 'all', method: 'discuss', minutes: 5 }
    ]
  }
}

export type MethodId = keyof typeof LIBRARY
export const METHOD_IDS = Object.keys(LIBRARY) as MethodId[]

/** The method's name in `l`. */
export const methodName = (id: MethodId, l?: Lang): string => t(`method.${id}` as Key, {}, l)

/** The methods for a board first (those made for its template), then the others. */
export function methodsFor (template: string | undefined): MethodId[] {
  const fits = (id: MethodId): boolean => { const m = LIBRARY[id]; return !m.templates || m.templates.includes(template ?? '') }
  return [...METHOD_IDS.filter(fits), ...METHOD_IDS.filter((id) => !fits(id))]
}

/** A library step's zones on a board: lanes named by kind become the board's lanes of that kind (none: left out). */
function zonesOn (zones: Record<string, Access> | undefined, board: BoardZone[]): Zones {
  const out: Zones = {}
  for (const [zone, access] of Object.entries(zones ?? {})) {
    const kind = /^lane:(.*)/s.exec(zone)?.[1]
    const named = kind ? board.filter((z) => z.kind === kind).map((z) => z.zone) : [zone]
    for (const z of named) out[z] = { citizen: access }
  }
  return out
}

/** A method's steps as a moderator sends them (no ids: the server gives them), titled in `l`, its zones on `board`. */
export function methodAgenda (id: MethodId, l?: Lang, board: BoardZone[] = []): StepRequest[] {
  const steps = LIBRARY[id].steps
  return steps.map((s) => ({
    title: t(`method.${id}.${s.title}` as Key, {}, l),
    method: s.method,
    minutes: s.minutes ?? null,
    private: s.private ?? false,
    anonymous: s.anonymous ?? false,
    votes: s.votes ?? null,
    secret: s.secret ?? false,
    zones: zonesOn(s.zones, board)
  }))
}
