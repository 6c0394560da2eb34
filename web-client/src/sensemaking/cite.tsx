//! A card cited by a suggestion, named by its text as the board has it now: activating it brings
//! the card into view and selects it, so every claim of the model can be checked on the board.

import * as M from '../board/model'
import { itemName } from '../board/actions'
import { t } from '../i18n'
import type { SenseContext } from './context'

/** The longest piece of a card's text a citation shows (the card itself has all of it). */
const CITE_CHARS = 120

/** A card's text for a citation: the board's (`fallback`, the server's copy, for one not synced yet). */
export function citeText (ctx: SenseContext, id: string, fallback = ''): string {
  const it = M.item(ctx.store.doc, id)
  const text = it ? itemName(it) : fallback || '?'
  return text.length > CITE_CHARS ? `${text.slice(0, CITE_CHARS - 1)}…` : text
}

export function Cite ({ ctx, id, fallback }: { ctx: SenseContext, id: string, fallback?: string }) {
  const text = citeText(ctx, id, fallback)
  return (
    <button type='button' class='cite' data-cite={id} lang={M.item(ctx.store.doc, id)?.language || undefined}
      title={t('sense.showCard')} onClick={() => ctx.showItem(id)}>{text}</button>
  )
}
