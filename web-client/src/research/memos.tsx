//! Memos on the replay (issue 31): researchers' and moderators' notes at an instant of the
//! session, listed beside the timeline in the replay's order. A memo's time jumps the replay to
//! it; a new memo is written at the replay's current instant; its writer edits it, its writer or a
//! moderator deletes it (server/README.md, "Memos"). Each memo is its own component: adding or
//! changing one leaves the others' DOM, and a half-typed edit, alone.

import { render } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { t } from '../i18n'
import { errorText } from '../ui/error-text'
import { pure } from '../ui/pure'
import type { Announcer } from '../ui/announcer'
import { researchApi, type Memo } from './api'
import { formatElapsed } from './history'
import { MEMO_MAX, mayDelete, mayEdit, withMemo, withoutMemo } from './memo-list'

/** What the memo list needs from the replay it sits in. */
export interface MemoContext {
  token: string
  session: string
  /** The reader's participant id and role: they decide which memos the reader may change. */
  me: string
  role: string
  /** The timeline's first instant: a memo shows its time from there, as the timeline does. */
  start: number
  /** The replay's instant now, read when a memo is added. */
  now: () => number
  /** Moves the replay to an instant; the replay says where it is. */
  jump: (at: number) => void
  /** A board item in words, when a board the replay holds has it. */
  itemName: (id: string) => string | undefined
  /** Someone else's memo's writer in words. */
  writer: (participant: string) => string
  announcer: Announcer
}

/** What a memo's row asks of the list; made once, so that an unchanged row does not render again. */
interface MemoActions {
  jump: (at: number) => void
  /** Saves a new text; resolves to an error in words, or '' when saved. */
  save: (memo: Memo, text: string) => Promise<string>
  /** Deletes; resolves to an error in words, or '' when deleted. */
  remove: (memo: Memo) => Promise<string>
}

const focusLater = (id: string): void => { requestAnimationFrame(() => document.getElementById(id)?.focus()) }

/** The ids of a memo's controls, for labels and for moving focus. */
const memoId = (memo: Memo, what: string): string => `${memo.id}-${what}`

interface RowProps { memo: Memo, time: string, writer: string, about?: string, editable: boolean, deletable: boolean, actions: MemoActions }

const MemoRow = pure(({ memo, time, writer, about, editable, deletable, actions }: RowProps) => {
  const [mode, setMode] = useState<'show' | 'edit' | 'delete'>('show')
  const [draft, setDraft] = useState(memo.text)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const id = (what: string): string => memoId(memo, what)
  /** Back to the memo as shown, focus on the button that opened the edit or the confirmation. */
  const show = (from: 'edit' | 'delete'): void => { setMode('show'); setError(''); focusLater(id(from)) }

  const run = async (call: Promise<string>): Promise<boolean> => {
    setBusy(true)
    const e = await call
    setBusy(false)
    setError(e)
    return !e
  }

  return (
    <li class='memo' data-memo={memo.id} data-at={memo.at}>
      <p class='memo-head'>
        <button type='button' class='btn small memo-time' id={id('jump')} aria-label={t('memo.jump', { time })} onClick={() => actions.jump(memo.at)}>{time}</button>
        {' '}<span class='memo-by'>{writer}</span>
      </p>
      {mode === 'edit'
        ? (
          <form class='memo-edit' onSubmit={(e) => { e.preventDefault(); void run(actions.save(memo, draft)).then((ok) => { if (ok) show('edit') }) }}>
            <label for={id('text')}>{t('memo.text', { time })}</label>
            <textarea id={id('text')} rows={3} maxLength={MEMO_MAX} value={draft} aria-describedby={id('error')} aria-invalid={error ? 'true' : undefined}
              onInput={(e) => setDraft(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Escape') { setDraft(memo.text); show('edit') } }} />
            <p class='memo-actions'>
              <button type='submit' class='btn small primary' id={id('save')} disabled={busy}>{t('memo.save')}</button>
              <button type='button' class='btn small' onClick={() => { setDraft(memo.text); show('edit') }}>{t('memo.cancel')}</button>
            </p>
          </form>)
        : <p class='memo-text'>{memo.text}</p>}
      {about !== undefined && <p class='memo-item'>{t('memo.about', { item: about })}</p>}
      {mode === 'delete' &&
        <div class='memo-confirm' role='group' aria-labelledby={id('confirm')} onKeyDown={(e) => { if (e.key === 'Escape') show('delete') }}>
          <p id={id('confirm')}>{t('memo.deleteConfirm', { time })}</p>
          <p class='memo-actions'>
            <button type='button' class='btn small danger' id={id('delete-yes')} disabled={busy} onClick={() => { void run(actions.remove(memo)) }}>{t('memo.delete')}</button>
            <button type='button' class='btn small' id={id('delete-no')} onClick={() => show('delete')}>{t('memo.keep')}</button>
          </p>
        </div>}
      {mode === 'show' && (editable || deletable) &&
        <p class='memo-actions'>
          {editable && <button type='button' class='btn small' id={id('edit')} aria-label={t('memo.editOne', { time })} onClick={() => { setDraft(memo.text); setError(''); setMode('edit'); focusLater(id('text')) }}>{t('memo.edit')}</button>}
          {deletable && <button type='button' class='btn small danger' id={id('delete')} aria-label={t('memo.deleteOne', { time })} onClick={() => { setError(''); setMode('delete'); focusLater(id('delete-no')) }}>{t('memo.delete')}</button>}
        </p>}
      <p class='error' id={id('error')}>{error}</p>
    </li>
  )
})

function MemoPanel ({ ctx }: { ctx: MemoContext }) {
  const [memos, setMemos] = useState<Memo[] | undefined>()
  const [draft, setDraft] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  /** The memos shown, for the actions (made once) to read. */
  const shown = useRef(memos)
  shown.current = memos
  const time = (m: { at: number }): string => formatElapsed(m.at - ctx.start)

  /** A failed call in words, also said aloud: the error shows next to the control that failed. */
  const failed = (e: unknown): string => {
    const text = t('mod.error', { error: errorText(e) })
    ctx.announcer.say(text)
    return text
  }

  const actions = useMemo<MemoActions>(() => ({
    jump: ctx.jump,
    save: async (memo, text) => {
      if (!text.trim()) return t('memo.empty')
      try {
        const changed = await researchApi.changeMemo(ctx.token, ctx.session, memo.id, { text })
        setMemos((ms) => withMemo(ms ?? [], changed))
        ctx.announcer.say(t('memo.saved', { time: time(changed) }))
        return ''
      } catch (e) { return failed(e) }
    },
    remove: async (memo) => {
      try {
        await researchApi.deleteMemo(ctx.token, ctx.session, memo.id)
        // focus moves on to the next memo (the previous one for the last), else to the new memo's text
        const before = shown.current ?? []
        const rest = withoutMemo(before, memo.id)
        const next = rest[Math.min(before.findIndex((m) => m.id === memo.id), rest.length - 1)]
        setMemos(rest)
        focusLater(next ? memoId(next, 'jump') : 'memo-new')
        ctx.announcer.say(t('memo.deleted', { time: time(memo) }))
        return ''
      } catch (e) { return failed(e) }
    }
  }), [ctx])

  useEffect(() => {
    let gone = false
    researchApi.memos(ctx.token, ctx.session).then((ms) => { if (!gone) setMemos(ms) }, (e) => { if (!gone) { setMemos([]); setError(failed(e)) } })
    return () => { gone = true }
  }, [ctx])

  const add = async (): Promise<void> => {
    if (!draft.trim()) { setError(t('memo.empty')); focusLater('memo-new'); return }
    setBusy(true)
    try {
      const memo = await researchApi.addMemo(ctx.token, ctx.session, { at: Math.round(ctx.now()), text: draft })
      setMemos((ms) => withMemo(ms ?? [], memo))
      setDraft('')
      setError('')
      ctx.announcer.say(t('memo.added', { time: time(memo) }))
    } catch (e) {
      setError(failed(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class='replay-memos' id='replay-memos' aria-labelledby='memos-title'>
      <h2 id='memos-title'>{t('memo.title')}</h2>
      <form class='memo-new' onSubmit={(e) => { e.preventDefault(); void add() }}>
        <label for='memo-new'>{t('memo.new')}</label>
        <textarea id='memo-new' rows={3} maxLength={MEMO_MAX} value={draft} aria-describedby='memo-new-error' aria-invalid={error ? 'true' : undefined}
          onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type='submit' class='btn' id='memo-add' disabled={busy}>{t('memo.add')}</button>
        <p class='error' id='memo-new-error'>{error}</p>
      </form>
      {memos === undefined
        ? <p class='loading'>{t('memo.loading')}</p>
        : memos.length
          ? (
            <ul class='memo-list' id='memo-list' aria-labelledby='memos-title'>
              {memos.map((m) => {
                const mine = mayEdit(m, ctx.me)
                return <MemoRow key={m.id} memo={m} time={time(m)} writer={mine ? t('memo.byYou') : ctx.writer(m.by)}
                  about={m.item === undefined ? undefined : ctx.itemName(m.item) ?? m.item}
                  editable={mine} deletable={mayDelete(m, ctx.me, ctx.role)} actions={actions} />
              })}
            </ul>)
          : <p id='memo-none'>{t('memo.none')}</p>}
    </section>
  )
}

/** Shows the replay's memos in `el`; returns what removes them. */
export function mountMemos (ctx: MemoContext, el: HTMLElement): () => void {
  render(<MemoPanel ctx={ctx} />, el)
  return () => render(null, el)
}
