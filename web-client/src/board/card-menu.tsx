//! A card's one "⋯" button and the menu it opens: every action on the card (edit, vote, comment,
//! move, arrow, colour, group, hide, report, delete) in one place, so the card itself stays small.
//! The WAI-ARIA menu button pattern: Enter, Space or ↓ opens it on the first item, ↑ on the last;
//! arrow keys, Home and End move within it; Escape closes it and gives focus back to the button.
//! Its open state is this component's own, so no remote edit of the card closes it.

import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import * as M from './model'
import * as A from './actions'
import { t, type Key } from '../i18n'
import { useStore, type BoardStore } from './store'

/** An action that needs one more choice (a reason, a colour, a group, "really delete?") opens a panel in the card. */
export type Panel = 'hide' | 'report' | 'color' | 'group' | 'delete'

interface Entry { key: string, label: string, run: () => void, disabled?: boolean }

/** Whether this person has any action on the item (else the card shows no menu button). */
export function hasActions (store: BoardStore, c: M.ItemView): boolean {
  return entries(store, c, () => {}).length > 0
}

function entries (store: BoardStore, c: M.ItemView, openPanel: (p: Panel) => void): Entry[] {
  const doc = store.doc
  const out: Entry[] = []
  const add = (key: string, label: Key, run: () => void, disabled?: boolean): void => { out.push({ key: `${key}:${c.id}`, label: t(label), run, disabled }) }
  const me = store.env.author().participant
  const rules = store.env.rules()
  if (store.env.canEdit() && !c.hidden) {
    if (rules.mayEditText(c)) add('edit', 'board.edit', () => A.startEditing(store, c.id))
    if (rules.mayVote() && c.type !== 'group') {
      const box = store.env.ballotBox()
      add('vote', 'vote.button', () => A.vote(store, c.id), store.env.voteLimit() - M.votesUsed(doc, me, box) <= 0)
      if (M.myVotesOn(doc, c.id, me, box)) add('unvote', 'vote.remove', () => A.unvote(store, c.id))
    }
    if (rules.mayComment()) add('comment', 'comment.add', () => { store.select(c.id); store.focusItem(c.id, 'comment') })
    if (c.type === 'card') {
      if (rules.mayMove(c)) {
        add('move-left', 'board.moveLeft', () => A.moveBy(store, c, -1, 0))
        add('move-right', 'board.moveRight', () => A.moveBy(store, c, 1, 0))
        add('move-up', 'board.moveUp', () => A.moveBy(store, c, 0, -1))
        add('move-down', 'board.moveDown', () => A.moveBy(store, c, 0, 1))
      }
      if (M.templateOf(doc) === 'service-blueprint' && rules.mayConnect()) add('arrow', 'arrow.add', () => A.setConnectFrom(store, c.id))
    } else {
      if (rules.mayConnect()) add('connect', 'canvas.connect', () => A.setConnectFrom(store, c.id))
      if (c.type === 'note' && rules.mayMove(c)) {
        add('color-form', 'card.colourMenu', () => openPanel('color'))
        add('group-form', 'card.groupMenu', () => openPanel('group'))
      }
    }
    for (const a of store.index.connectorsOf(c.id).filter((x) => (x.from === c.id || x.directed === false) && rules.mayDelete(x))) {
      const other = A.itemName(M.item(doc, a.from === c.id ? a.to! : a.from!)).slice(0, 20)
      out.push({ key: `direction:${a.id}`, label: `${t(a.directed === false ? 'arrow.makeOneWay' : 'arrow.makeTwoWay')}: ${other}`, run: () => M.setDirected(doc, a.id, a.directed === false) },
        { key: `unarrow:${a.id}`, label: `${t('arrow.remove')}: ${other}`, run: () => M.deleteItem(doc, a.id) })
    }
    if (rules.mayDelete(c)) add('delete', 'board.delete', () => openPanel('delete'))
  }
  if (store.env.session()) {
    if (store.env.isModerator()) {
      if (c.hidden) add('unhide', 'mod.unhide', () => A.unhide(store, c.id)); else add('hide-form', 'mod.hideMenu', () => openPanel('hide'))
    } else if (!c.hidden && c.author !== me && store.env.canEdit()) add('report-form', 'report.menu', () => openPanel('report')) // the server counts reports of those who edit
  }
  return out
}

/** The "⋯" button of one card and, while open, its menu of actions. */
export function CardMenu ({ c, name, openPanel }: { c: M.ItemView, name: string, openPanel: (p: Panel) => void }) {
  const store = useStore()
  const [open, setOpen] = useState(false)
  const button = useRef<HTMLButtonElement>(null)
  const menu = useRef<HTMLUListElement>(null)
  /** Which item gets focus once the menu is open: 0 the first, -1 the last. */
  const focusAt = useRef<number | null>(null)
  const items = (): HTMLElement[] => [...menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []]
  useLayoutEffect(() => {
    if (!open || focusAt.current === null) return
    const list = items()
    list[focusAt.current < 0 ? list.length - 1 : focusAt.current]?.focus()
    focusAt.current = null
  }, [open])
  const show = (at: number): void => { focusAt.current = at; setOpen(true) }
  const close = (refocus: boolean): void => { setOpen(false); if (refocus) button.current?.focus() }
  const onMenuKey = (e: KeyboardEvent): void => {
    const list = items()
    const i = list.indexOf(document.activeElement as HTMLElement)
    const go = (j: number): void => { e.preventDefault(); list[(j + list.length) % list.length]?.focus() }
    if (e.key === 'ArrowDown') go(i + 1)
    else if (e.key === 'ArrowUp') go(i - 1)
    else if (e.key === 'Home') go(0)
    else if (e.key === 'End') go(list.length - 1)
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(true) } else if (e.key === 'Tab') close(false)
  }
  const menuId = `menu-${c.id}`
  return (
    <div class='card-menu-wrap' onFocusOut={(e: FocusEvent) => { if (open && !(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setOpen(false) }}>
      <button type='button' class='icon-btn card-menu-button' ref={button} data-key={`menu:${c.id}`}
        aria-haspopup='menu' aria-expanded={open ? 'true' : 'false'} aria-controls={open ? menuId : undefined}
        aria-label={t('card.actions', { text: name.slice(0, 40) })} title={t('card.actions', { text: name.slice(0, 40) })}
        onClick={() => (open ? close(true) : show(0))}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === 'ArrowDown') { e.preventDefault(); show(0) } else if (e.key === 'ArrowUp') { e.preventDefault(); show(-1) }
        }}>
        <span aria-hidden='true'>⋯</span>
      </button>
      {open
        ? (
          <ul class='card-menu' role='menu' id={menuId} ref={menu} aria-label={t('card.actions', { text: name.slice(0, 40) })} onKeyDown={onMenuKey}>
            {entries(store, c, openPanel).map((en) => (
              <li role='none' key={en.key}>
                <button type='button' role='menuitem' tabIndex={-1} class='menu-item' data-key={en.key} aria-disabled={en.disabled ? 'true' : undefined}
                  title={en.disabled && en.key.startsWith('vote:') ? t('vote.none') : undefined}
                  onClick={() => { if (en.disabled) return; close(true); en.run() }}>
                  {en.label}
                </button>
              </li>
            ))}
          </ul>
          )
        : null}
    </div>
  )
}
