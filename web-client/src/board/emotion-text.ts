//! The emotion curve in words, as the board, the replay and the PNG show it.

import type * as Y from 'yjs'
import * as M from './model'
import { t } from '../i18n'

/** An emotion value with its sign: "+1", "−0.5" reads as better or worse at a glance. */
export const signed = (v: number): string => v > 0 ? `+${v}` : String(v)

/** The emotion curve at a stage in words: signed, "(average of n)" when several gave theirs. */
export function emotionText (doc: Y.Doc, stage: string): string {
  const v = M.emotion(doc, stage)
  const n = M.emotionCount(doc, stage)
  return v === undefined ? t('emotion.none') : n > 1 ? t('emotion.average', { value: signed(v), n }) : signed(v)
}
