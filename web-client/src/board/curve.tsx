//! The journey map's emotion curve, a row under the Emotions lane: per stage the average of
//! everyone's own value (drawn as a curve in the visual view, as text always) and this person's
//! − / + buttons. It renders again only when the emotion values or the stages change.

import * as M from './model'
import { t, axisName } from '../i18n'
import { signed, emotionText } from './emotion-text'
import { useTopics } from './store'
import { CURVE } from './routing'

/** The curve's height in the drawing for a value (−2…+2); no value sits on the zero line. */
const y = (v: number | undefined): number => v === undefined ? 30 : 30 - v * 12

/** The curve's row: `shown` stages (one on a phone) of `all`; `drawn` adds the graph to the values. */
export function EmotionRow ({ shown, all, drawn }: { shown: M.Axis[], all: M.Axis[], drawn: boolean }) {
  const store = useTopics([CURVE])
  const doc = store.doc
  const edit = store.env.canEdit() && store.env.rules().feature('emotions')
  const me = store.env.author().participant
  return (
    <tr class='emotion-row'>
      <th scope='row' class='lane-head'>{t('emotion.curve')}</th>
      {shown.map((s) => {
        const i = all.indexOf(s)
        const v = M.emotion(doc, s.id)
        const prev = i > 0 ? M.emotion(doc, all[i - 1].id) : undefined
        const next = i < all.length - 1 ? M.emotion(doc, all[i + 1].id) : undefined
        const sname = axisName('stages', s)
        const mine = M.myEmotion(doc, s.id, me)
        const value = emotionText(doc, s.id)
        const pts = v === undefined ? [] : [[0, prev !== undefined ? (y(prev) + y(v)) / 2 : y(v)], [50, y(v)], [100, next !== undefined ? (y(next) + y(v)) / 2 : y(v)]]
        return (
          <td key={s.id} class='emotion-cell' data-stage={s.id}>
            {drawn
              ? (
                <svg viewBox='0 0 100 60' preserveAspectRatio='none' class='curve' aria-hidden='true'>
                  <line x1={0} y1={30} x2={100} y2={30} class='zero' />
                  {v !== undefined ? <polyline points={pts.map((p) => p.join(',')).join(' ')} class='curve-line' /> : null}
                  {v !== undefined ? <circle cx={50} cy={y(v)} r={4} class='curve-dot' /> : null}
                </svg>
                )
              : null}
            <div class='emotion-controls'>
              {edit ? <button type='button' class='icon-btn' data-key={`emo-down:${s.id}`} aria-label={`${t('emotion.down')}: ${sname}`} title={t('emotion.down')} disabled={mine === M.EMOTION_MIN} onClick={() => M.setEmotion(doc, s.id, me, (mine ?? 0) - 1)}>−</button> : null}
              <span class='emotion-value'><span class='visually-hidden'>{t('emotion.label', { stage: sname, value })}</span><span aria-hidden='true'>{value}</span></span>
              {edit ? <button type='button' class='icon-btn' data-key={`emo-up:${s.id}`} aria-label={`${t('emotion.up')}: ${sname}`} title={t('emotion.up')} disabled={mine === M.EMOTION_MAX} onClick={() => M.setEmotion(doc, s.id, me, (mine ?? 0) + 1)}>+</button> : null}
            </div>
            {mine !== undefined ? <p class='emotion-mine'>{t('emotion.yours', { value: signed(mine) })}</p> : null}
          </td>
        )
      })}
    </tr>
  )
}
