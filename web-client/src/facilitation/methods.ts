//! The method library (issue 27, part 5): ready agendas a moderator picks and adapts before
//! saving them (PUT …/agenda). A method is data: its steps' settings and the words of their
//! titles, which are in every UI language (i18n/*.ts, keys `method.<id>.*`).

import { everyOf } from '../api/client'
import { t, type Key, type Lang } from '../i18n'
import type { StepMethod, StepRequest } from './api'

/** How a step is run, in the order a facilitator's menu lists them (every method of openapi.json). */
export const STEP_METHODS = everyOf<StepMethod>()(['brainwrite', 'discuss', 'cluster', 'vote', 'review', 'custom'])

/** One step of a library method: its settings, with its title as the suffix of an i18n key. */
interface MethodStep extends Omit<StepRequest, 'id' | 'title' | 'zones'> { title: string }

interface Method {
  /** The boards it is made for (any, when absent). */
  templates?: string[]
  steps: MethodStep[]
}

/**
 * The library. Durations are suggestions a moderator changes before saving; a step without
 * `minutes` runs until the moderator ends it.
 */
const LIBRARY = {
  /** Write pains alone, reveal them together, sort, vote without herding, decide (DOMAIN.md). */
  'journey-map': {
    templates: ['journey-map'],
    steps: [
      { title: 'write', method: 'brainwrite', minutes: 10, private: true },
      { title: 'discuss', method: 'discuss', minutes: 15 },
      { title: 'cluster', method: 'cluster', minutes: 15 },
      { title: 'vote', method: 'vote', minutes: 5, votes: 3, secret: true },
      { title: 'review', method: 'review' }
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
} satisfies Record<string, Method>

export type MethodId = keyof typeof LIBRARY
export const METHOD_IDS = Object.keys(LIBRARY) as MethodId[]

/** The method's name in `l`. */
export const methodName = (id: MethodId, l?: Lang): string => t(`method.${id}` as Key, {}, l)

/** The methods for a board first (those made for its template), then the others. */
export function methodsFor (template: string | undefined): MethodId[] {
  const fits = (id: MethodId): boolean => { const m: Method = LIBRARY[id]; return !m.templates || m.templates.includes(template ?? '') }
  return [...METHOD_IDS.filter(fits), ...METHOD_IDS.filter((id) => !fits(id))]
}

/** A method's steps as a moderator sends them (no ids: the server gives them), titled in `l`. */
export function methodAgenda (id: MethodId, l?: Lang): StepRequest[] {
  const steps: MethodStep[] = LIBRARY[id].steps
  return steps.map((s) => ({
    title: t(`method.${id}.${s.title}` as Key, {}, l),
    method: s.method,
    minutes: s.minutes ?? null,
    private: s.private ?? false,
    anonymous: s.anonymous ?? false,
    votes: s.votes ?? null,
    secret: s.secret ?? false
  }))
}
