//! Similar cards while a new card is typed (issue 29, part 2): once typing pauses on a few words,
//! the server names the cards that already say it, in a tray at the bottom of the screen ("3
//! similar cards already say this: vote for one instead?"), each to vote for or to look at.
//! The tray never takes focus or blocks typing, and says nothing on a server without the model.

import { render } from 'preact'
import './sensemaking.css'
import * as A from '../board/actions'
import { t } from '../i18n'
import { senseApi, type Similar } from './api'
import { SimilarAsker } from './asking'
import { Cite } from './cite'
import type { SenseContext } from './context'

/** The card an editor writes: its textarea's `data-key` is `editor:<id>`. */
const editedCard = (ta: HTMLTextAreaElement): string => ta.dataset.key?.replace(/^editor:/, '') ?? ''

function Tray ({ ctx, found, close }: { ctx: SenseContext, found: Similar, close: () => void }) {
  const store = ctx.store
  const mayVote = store.env.canEdit() && store.env.rules().mayVote()
  // pressing a button keeps the editor's focus: the card can still be finished
  const keepFocus = (e: PointerEvent): void => e.preventDefault()
  return (
    <section class='similar-tray' id='similar-tray' aria-labelledby='similar-title'>
      <h2 id='similar-title'>{t('sense.similar', { n: found.length })}</h2>
      <ul>
        {found.map((s) => (
          <li key={s.item}>
            <Cite ctx={ctx} id={s.item} fallback={s.text} />
            {mayVote ? <button type='button' class='btn small' data-vote={s.item} onPointerDown={keepFocus} onClick={() => { A.vote(store, s.item); store.env.announcer.say(t('sense.voted')) }}>{t('vote.button')}</button> : null}
          </li>
        ))}
      </ul>
      <button type='button' class='btn small' id='similar-close' onPointerDown={keepFocus} onClick={close}>{t('sense.dismiss')}</button>
    </section>
  )
}

/**
 * Watches the card editors under `board` and shows similar cards in `host` for a card that was
 * empty when its editor opened (a new one); returns what stops it.
 */
export function watchTyping (ctx: SenseContext, board: HTMLElement, host: HTMLElement): () => void {
  /** The new card being typed, if any: the card itself is not similar to itself. */
  let card: string | undefined
  const show = (found: Similar): void => {
    const others = found.filter((s) => s.item !== card)
    if (others.length) ctx.store.env.announcer.say(t('sense.similar', { n: others.length }), 'similar')
    render(others.length ? <Tray ctx={ctx} found={others} close={() => render(null, host)} /> : null, host)
  }
  const asker = new SimilarAsker((text) => senseApi.similar(ctx.token, ctx.session, text).then((r) => r.similar), show)
  const editor = (e: Event): HTMLTextAreaElement | undefined => {
    const el = e.target
    return el instanceof HTMLTextAreaElement && el.classList.contains('card-editor') ? el : undefined
  }
  const onFocus = (e: Event): void => {
    const ta = editor(e)
    if (!ta) return
    card = ta.value.trim() ? undefined : editedCard(ta)
    if (card) render(null, host)
  }
  const onInput = (e: Event): void => {
    const ta = editor(e)
    if (ta && card === editedCard(ta)) asker.typed(ta.value)
  }
  const onBlur = (e: Event): void => { if (editor(e)) asker.stop() }
  board.addEventListener('focusin', onFocus)
  board.addEventListener('input', onInput)
  board.addEventListener('focusout', onBlur)
  return () => {
    asker.stop()
    board.removeEventListener('focusin', onFocus)
    board.removeEventListener('input', onInput)
    board.removeEventListener('focusout', onBlur)
    render(null, host)
  }
}
