//! The board as it was at one moment of a replay: the live board's structure and classes (a table
//! of lanes by stages, the canvas as a list in reading order) drawn read-only from a Y.Doc rebuilt
//! from the server's `state`, each contribution marked with its author's colour and label.
//! The live board (board.ts) draws the same document with its editing, presence and drag code
//! woven in; this is the part of it a replay needs.

import type * as Y from 'yjs'
import * as M from '../board/model'
import { h } from '../ui/dom'
import { t, axisName, type Key } from '../i18n'
import { emotionText } from '../board/emotion-text'
import { hiddenText } from '../board/hidden-text'

/** How the replay names and colours the author of an item (by pseudonym). */
export type AuthorKey = (participant: string) => { label: string, colour: string }

function card (doc: Y.Doc, c: M.ItemView, who: AuthorKey): HTMLElement {
  const author = who(c.author)
  const text = c.hidden ? hiddenText(c.hidden) : c.text || t('board.cardEmpty')
  const votes = M.votesFor(doc, c.id)
  const comments = M.commentsOf(doc, c.id)
  const el = h('article', { class: `card replay-card${c.hidden ? ' hidden-item' : ''}${c.type === 'note' ? ` note color-${c.color ?? 'yellow'}` : ''}${c.type === 'group' ? ' group' : ''}`, 'data-id': c.id, 'data-author': c.author },
    h('p', { class: 'card-text', lang: c.language || undefined, text }),
    h('p', { class: 'card-meta' },
      h('span', { class: 'author', text: t('replay.by', { who: author.label }) }),
      votes ? h('span', { class: 'vote-count', text: ` · ${t('vote.count', { n: votes })}` }) : null),
    comments.length
      ? h('ul', { class: 'replay-comments', 'aria-label': t('comment.label', { n: comments.length }) }, ...comments.map((cm) => h('li', { lang: cm.language || undefined },
        h('span', { class: 'author', text: `${who(cm.author).label}: ` }),
        h('span', { text: cm.hidden ? hiddenText(cm.hidden) : cm.text }))))
      : null)
  el.style.borderLeftColor = author.colour
  return el
}

function grid (doc: Y.Doc, tpl: M.Template, who: AuthorKey): HTMLElement {
  const stages = M.stages(doc)
  const table = h('table', { class: 'grid', id: 'replay-grid', 'aria-labelledby': 'replay-board-title' },
    h('thead', {}, h('tr', {}, h('td', { class: 'corner' }), ...stages.map((s) => h('th', { scope: 'col', class: 'stage-head', text: axisName('stages', s) })))))
  const body = h('tbody')
  for (const l of M.lanes(doc)) {
    const lname = axisName('lanes', l)
    body.append(h('tr', { class: `lane lane-${l.kind}`, 'data-lane': l.id },
      h('th', { scope: 'row', class: 'lane-head', text: lname }),
      ...stages.map((s) => {
        const cards = M.cardsIn(doc, l.id, s.id)
        return h('td', { class: 'cell' }, h('ul', { class: 'cards', 'aria-label': t('board.cell', { lane: lname, stage: axisName('stages', s), n: cards.length }) },
          ...cards.map((c) => h('li', {}, card(doc, c, who)))))
      })))
    if (tpl === 'journey-map' && l.kind === 'emotions') {
      body.append(h('tr', { class: 'emotion-row' }, h('th', { scope: 'row', class: 'lane-head', text: t('emotion.curve') }),
        ...stages.map((s) => h('td', { text: emotionText(doc, s.id) }))))
    }
    const line = tpl === 'service-blueprint' ? M.BLUEPRINT_LINES[l.kind] : undefined
    if (line) body.append(h('tr', { class: `bp-line bp-line-${line}` }, h('td', { colspan: stages.length + 1 }, h('span', { text: t(`line.${line}` as Key) }))))
  }
  table.append(body)
  return h('div', { class: `grid-wrap tpl-${tpl}` }, table)
}

/** The board of `doc` read-only; the canvas as its notes and groups in reading order. */
export function renderReplayBoard (doc: Y.Doc, who: AuthorKey): HTMLElement {
  const tpl = M.templateOf(doc)
  if (!tpl) return h('p', { class: 'loading', text: t('board.empty') })
  if (tpl !== 'canvas') return grid(doc, tpl, who)
  const placed = M.readingOrder(M.allItems(doc).filter((i) => i.type === 'note' || i.type === 'group'))
  return h('ul', { class: 'notes replay-notes', id: 'replay-notes', 'aria-label': t('canvas.list') },
    ...(placed.length ? placed.map((n) => h('li', {}, card(doc, n, who))) : [h('li', { class: 'empty', text: t('board.empty') })]))
}
