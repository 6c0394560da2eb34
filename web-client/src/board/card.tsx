//! One card (grid) or note or group (canvas): its text, author, votes and comments, others'
//! presence on it, and its "⋯" menu. It renders again only when its own item, its presence or a
//! name it shows (the other end of an arrow, its group) changes; its DOM is never rebuilt under a
//! person's caret, open menu or half-typed comment, so nothing needs restoring.

import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import * as M from './model'
import * as A from './actions'
import { t, type Key } from '../i18n'
import { bindTextarea } from '../sync/textbinding'
import { useStore, useTopics, type BoardStore } from './store'
import { itemTopic, nameTopic, presenceTopic } from './routing'
import { CardMenu, hasActions, type Panel } from './card-menu'
import { onCardKey } from './keyboard'
import { CardText } from './card-text'
import { pure } from '../ui/pure'
import { everyOf, type Schema } from '../api/client'
import { hiddenText } from './hidden-text'

/** The drag-and-drop type of a card being dragged between cells. */
export const CARD_MIME = 'application/x-cocreate-card'

/** Why a card is reported, as the API names the reasons, in the order offered. */
const REPORT_REASONS = everyOf<Schema<'ReportReason'>>()(['spam', 'offensive', 'personal-data', 'off-topic'])

/** Whether a card is drawn: not in a cell's list that the browser skips off screen. */
function onScreen (store: BoardStore, el: HTMLElement | null): boolean {
  const list = el?.closest('ul.cards')
  return !list || !store.skipped.has(list)
}

/** The text editor: a textarea bound to the item's Y.Text for as long as it is open. */
function Editor ({ store, c }: { store: BoardStore, c: M.ItemView }) {
  const ref = useRef<HTMLTextAreaElement>(null)
  // bound and focused as soon as it is in the page: what is typed next goes into it
  useLayoutEffect(() => {
    const ta = ref.current; const text = M.itemText(store.doc, c.id)
    if (!ta || !text) return undefined
    const unbind = bindTextarea(text, ta)
    ta.focus()
    ta.setSelectionRange(ta.value.length, ta.value.length)
    return unbind
  }, [c.id])
  return (
    <>
    <textarea class='card-editor' ref={ref} data-key={`editor:${c.id}`} aria-label={t('board.cardText')} rows={3} lang={c.language || undefined}
      onKeyDown={(e: KeyboardEvent) => {
        if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) { e.preventDefault(); A.stopEditing(store, true) }
        e.stopPropagation()
      }}
      onBlur={() => { if (store.editing === c.id) A.stopEditing(store, false) }} />
    {/* on a phone there is no Escape key: "Done" closes the editor (pressing it keeps the
        textarea's focus, so that its blur does not close the editor under the finger first) */}
    <button type='button' class='btn small done-btn' data-key={`done:${c.id}`} onPointerDown={(e) => e.preventDefault()} onClick={() => A.stopEditing(store, true)}>{t('board.done')}</button>
    </>
  )
}

/** The choice an action needs (why hide, why report, which colour, which group), in the card. */
function PanelFor ({ store, c, panel, close }: { store: BoardStore, c: M.ItemView, panel: Panel, close: (refocus: boolean) => void }) {
  const ref = useRef<HTMLFormElement>(null)
  const [reason, setReason] = useState<Schema<'ReportReason'>>('spam')
  useLayoutEffect(() => { ref.current?.querySelector<HTMLElement>('input, select, button')?.focus() }, [panel])
  const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(true) } }
  const submit = (e: Event, run: () => void): void => { e.preventDefault(); run(); close(true) }
  let body
  if (panel === 'delete') {
    const question = t('board.deleteAsk', { text: A.itemName(c).slice(0, 40) })
    return (
      <form class='card-panel' ref={ref} role='group' aria-label={question} onKeyDown={onKey} onSubmit={(e) => { e.preventDefault(); close(false); A.deleteItem(store, c.id) }}>
        <p class='delete-ask'>{question}</p>
        <button type='submit' class='btn small danger' data-key={`delete-yes:${c.id}`}>{t('board.delete')}</button>
        <button type='button' class='btn small' data-key={`delete-no:${c.id}`} onClick={() => close(true)}>{t('facil.cancel')}</button>
      </form>
    )
  } else if (panel === 'hide') {
    return (
      <form class='card-panel' ref={ref} onKeyDown={onKey} onSubmit={(e) => submit(e, () => A.hide(store, c.id, ref.current?.querySelector('input')?.value.trim() ?? ''))}>
        <input type='text' class='hide-reason' data-key={`hide-reason:${c.id}`} aria-label={t('mod.hideReason')} placeholder={t('mod.hideReason')} />
        <button type='submit' class='btn small' data-key={`hide:${c.id}`}>{t('mod.hide')}</button>
        <button type='button' class='btn small' onClick={() => close(true)}>{t('card.closePanel')}</button>
      </form>
    )
  } else if (panel === 'report') {
    body = [
      <select key='r' aria-label={t('report.reason')} data-key={`report-reason:${c.id}`} value={reason} onChange={(e) => { const v = (e.currentTarget as HTMLSelectElement).value; setReason(REPORT_REASONS.find((r) => r === v) ?? 'spam') }}>
        {REPORT_REASONS.map((r) => <option key={r} value={r}>{t(`report.${r}` as Key)}</option>)}
      </select>,
      <button key='b' type='submit' class='btn small' data-key={`report:${c.id}`}>{t('report.button')}</button>
    ]
    return (
      <form class='card-panel' ref={ref} onKeyDown={onKey} onSubmit={(e) => submit(e, () => A.report(store, c.id, reason))}>
        {body}
        <button type='button' class='btn small' onClick={() => close(true)}>{t('card.closePanel')}</button>
      </form>
    )
  } else if (panel === 'color') {
    body = (
      <select aria-label={t('canvas.color')} data-key={`color:${c.id}`} value={c.color ?? 'yellow'} onChange={(e) => { M.setColor(store.doc, c.id, (e.currentTarget as HTMLSelectElement).value); close(true) }}>
        {M.NOTE_COLORS.map((col) => <option key={col} value={col}>{t(`color.${col}` as Key)}</option>)}
      </select>
    )
  } else {
    const groups = M.readingOrder(store.index.canvasItems().filter((g) => g.type === 'group'))
    body = (
      <select aria-label={t('canvas.groupChoice')} data-key={`group:${c.id}`} value={c.group ?? ''} onChange={(e) => { M.joinGroup(store.doc, c.id, (e.currentTarget as HTMLSelectElement).value || undefined); close(true) }}>
        <option value=''>{t('canvas.noGroup')}</option>
        {groups.map((g) => <option key={g.id} value={g.id}>{A.itemName(g)}</option>)}
      </select>
    )
  }
  return (
    <form class='card-panel' ref={ref} onKeyDown={onKey} onSubmit={(e) => e.preventDefault()}>
      {body}
      <button type='button' class='btn small' onClick={() => close(true)}>{t('card.closePanel')}</button>
    </form>
  )
}

/** The comments of the selected card (or its count, folded), and the field to add one. */
function Comments ({ store, c, selected }: { store: BoardStore, c: M.ItemView, selected: boolean }) {
  const input = useRef<HTMLInputElement>(null)
  const comments = store.index.commentsOf(c.id)
  // nothing to show, and nothing to write here (not selected, or no comments now: a draft, a closed zone)
  if (!comments.length && (!selected || !store.env.rules().mayComment())) return null
  return (
    <details class='comments' open={selected || undefined}>
      <summary data-key={`comments:${c.id}`}>{t('comment.label', { n: comments.length })}</summary>
      <ul>
        {comments.map((cm) => (
          <li key={cm.id} lang={cm.language || undefined}>
            <span class='author'>{`${cm.authorName || '?'}: `}</span>
            <span>{cm.hidden ? hiddenText(cm.hidden) : cm.text}</span>
          </li>
        ))}
      </ul>
      {store.env.canEdit() && selected && !c.hidden && store.env.rules().mayComment()
        ? (
          <form class='comment-form' onSubmit={(e) => {
            e.preventDefault()
            const text = input.current?.value.trim()
            if (!text || !input.current) return
            M.addComment(store.doc, store.env.author(), c.id, text)
            input.current.value = ''
          }}>
            <input type='text' class='comment-input' ref={input} data-key={`comment-input:${c.id}`} aria-label={t('comment.placeholder')} placeholder={t('comment.placeholder')} />
            <button type='submit' class='btn'>{t('comment.send')}</button>
          </form>
          )
        : null}
    </details>
  )
}

/** During a vote phase: voting on the card itself, not only inside its "⋯" menu. */
function VoteButtons ({ store, c }: { store: BoardStore, c: M.ItemView }) {
  const mine = M.myVotesOn(store.doc, c.id, store.env.author().participant, store.env.ballotBox())
  const name = A.itemName(c).slice(0, 40)
  return (
    <span class='vote-buttons'>
      <button type='button' class='btn vote-btn' data-key={`vote-visible:${c.id}`} aria-label={t('vote.on', { text: name })} onClick={() => A.vote(store, c.id)}>{t('vote.button')}</button>
      {mine ? <button type='button' class='btn vote-btn' data-key={`unvote-visible:${c.id}`} aria-label={t('vote.removeOn', { text: name })} onClick={() => A.unvote(store, c.id)}>−1</button> : null}
    </span>
  )
}

export interface CardProps {
  id: string
  /** Mouse drag and resize of a canvas item (the note's positioned list item handles it). */
  resizable?: boolean
}

function CardView ({ id, resizable }: CardProps) {
  const store = useStore()
  const el = useRef<HTMLElement>(null)
  const [panel, setPanel] = useState<Panel | undefined>(undefined)
  const c = M.item(store.doc, id)
  const arrows = c ? store.index.connectorsOf(id) : []
  // what this card shows of other items: the other ends of its arrows, its group
  const ends = arrows.map((a) => (a.from === id ? a.to : a.from)).filter((x): x is string => !!x)
  useTopics([itemTopic(id), presenceTopic(id), ...[...ends, ...(c?.group ? [c.group] : [])].map(nameTopic)], () => onScreen(store, el.current))
  useLayoutEffect(() => {
    const want = store.wantFocus
    if (!want || want.id !== id || !el.current) return
    store.wantFocus = undefined
    if (want.part === 'comment') el.current.querySelector<HTMLElement>('.comment-input')?.focus()
    else el.current.focus()
  })
  if (!c) return null
  const doc = store.doc
  const isNote = c.type === 'note' || c.type === 'group'
  const selected = store.selected === id
  const editing = store.editing === id && !c.hidden
  const others = store.peersOnItem(id)
  const hiddenNote = c.hidden ? hiddenText(c.hidden) : ''
  const shownText = hiddenNote || c.text || t('board.cardEmpty')
  const labelKey: Key = c.type === 'group' ? 'canvas.group' : isNote ? 'canvas.note' : 'board.cardLabel'
  const rules = store.env.rules()
  const draft = !!rules.input.drafts
  // in a secret vote before its reveal: this person's own votes only, no tally
  const tallies = store.env.talliesShown()
  const votes = tallies ? M.votesFor(doc, id) : M.myVotesOn(doc, id, store.env.author().participant, store.env.ballotBox())
  const canDrag = c.type === 'card' && store.env.canEdit() && !c.hidden && !editing && rules.mayMove(c)
  const label = t(labelKey, { author: c.authorName || (c.origin ? t('board.originalAuthor') : '?'), text: shownText })
  const classes = ['card', draft && 'draft', c.hidden && 'hidden-item', selected && 'selected', c.type === 'note' && `note color-${c.color ?? 'yellow'}`,
    c.type === 'group' && 'group', editing && 'editing', others.length && 'peer-active'].filter(Boolean).join(' ')
  const closePanel = (refocus: boolean): void => {
    setPanel(undefined)
    if (refocus) el.current?.querySelector<HTMLElement>('.card-menu-button')?.focus()
  }
  return (
    <article class={classes} ref={el} tabIndex={0} data-key={`card:${id}`} data-id={id}
      aria-label={draft ? `${label}. ${t('draft.private')}` : label}
      style={others.length ? { outlineColor: others[others.length - 1].color } : undefined}
      draggable={canDrag || undefined}
      onDragStart={canDrag ? (e: DragEvent) => { e.dataTransfer?.setData(CARD_MIME, id); if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move' } : undefined}
      onClick={(e: MouseEvent) => { if (!(e.target as HTMLElement).closest('button, input, textarea, select, summary, form, [role="menu"]')) A.activate(store, id) }}
      onKeyDown={(e: KeyboardEvent) => onCardKey(store, e, c, setPanel)}
      onFocus={(e: FocusEvent) => { if (e.target === e.currentTarget) store.env.setPresence('selection', id) }}>
      {draft ? <p class='draft-mark'>{t('draft.private')}</p> : null}
      {editing ? <Editor store={store} c={c} /> : <CardText text={shownText} lang={c.language || undefined} />}
      <div class='card-foot'>
        <p class='card-meta'>
          {c.authorName || !c.origin ? <span class='author'>{t('board.author', { name: c.authorName || '?' })}</span> : null}
          {c.origin ? <span class='origin' data-origin={c.origin.session}>{c.authorName ? ` · ${t('board.carried')}` : t('board.carriedAuthor')}</span> : null}
          {votes ? <span class='vote-count' data-votes={votes} data-tally={tallies ? 'all' : 'mine'}>{` · ${t(tallies ? 'vote.count' : 'vote.yours', { n: votes })}`}</span> : null}
        </p>
        {store.env.votingNow() && store.env.canEdit() && rules.mayVote() && !c.hidden && c.type !== 'group' ? <VoteButtons store={store} c={c} /> : null}
        {hasActions(store, c) ? <CardMenu c={c} name={A.itemName(c)} openPanel={setPanel} /> : null}
      </div>
      {others.map((o, i) => (
        <span key={i} class='peer-badge' style={{ background: o.color }}>{o.editing ? t('board.editingBy', { name: o.name }) : o.name}</span>
      ))}
      {arrows.length
        ? (
          <ul class='card-arrows'>
            {arrows.map((a) => {
              const outgoing = a.from === id
              const other = M.item(doc, outgoing ? a.to! : a.from!)
              const key: Key = a.directed === false ? 'arrow.both' : outgoing ? 'arrow.to' : 'arrow.from'
              return <li key={a.id}><span aria-hidden='true'>{`${a.directed === false ? '↔' : outgoing ? '→' : '←'} `}</span>{t(key, { text: A.itemName(other) })}</li>
            })}
          </ul>
          )
        : null}
      {c.group && !store.textView() ? <p class='in-group'>{t('canvas.inGroup', { text: A.itemName(M.item(doc, c.group)) })}</p> : null}
      <Comments store={store} c={c} selected={selected} />
      {panel ? <PanelFor store={store} c={c} panel={panel} close={closePanel} /> : null}
      {resizable ? <span class='resize-handle' aria-hidden='true' /> : null}
    </article>
  )
}

/** A card that renders again only when its subscriptions say so, not when its list does. */
export const Card = pure(CardView)
