//! The journey map's emotion curve: everyone's own value per stage, -2..+2, averaged. Key
//! `${stage}|${participant}` in `emotion_votes`; `emotions` (stage -> value) is schema 1's single
//! shared value, still shown for stages where nobody has given their own.

import type * as Y from 'yjs'
import { emotionVotesMap, emotionsMap } from './schema'
import { num } from './fields'

export const EMOTION_MIN = -2
export const EMOTION_MAX = 2

function emotionValues (doc: Y.Doc, stage: string): number[] {
  const out: number[] = []
  emotionVotesMap(doc).forEach((v, k) => { if (k.slice(0, k.lastIndexOf('|')) === stage && num(v) !== undefined) out.push(v) })
  return out
}

/** How many people gave a value for this stage. */
export const emotionCount = (doc: Y.Doc, stage: string): number => emotionValues(doc, stage).length

/** The curve at a stage: the average of everyone's value, to one decimal (or schema 1's shared value). */
export function emotion (doc: Y.Doc, stage: string): number | undefined {
  const values = emotionValues(doc, stage)
  if (!values.length) return num(emotionsMap(doc).get(stage))
  return Math.round(values.reduce((a, b) => a + b, 0) / values.length * 10) / 10
}

/** A participant's own value for a stage. */
export const myEmotion = (doc: Y.Doc, stage: string, participant: string): number | undefined =>
  num(emotionVotesMap(doc).get(`${stage}|${participant}`))

/** Set (or, with `undefined`, take back) a participant's own value for a stage. */
export function setEmotion (doc: Y.Doc, stage: string, participant: string, value: number | undefined): void {
  const key = `${stage}|${participant}`
  if (value === undefined) { emotionVotesMap(doc).delete(key); return }
  emotionVotesMap(doc).set(key, Math.max(EMOTION_MIN, Math.min(EMOTION_MAX, Math.round(value))))
}
