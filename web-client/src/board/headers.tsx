//! Stage (column) and lane (row) headers: the name, and for editors rename, move and delete. A
//! header renders again when the axes change or, for its delete button, when its stage or lane
//! gains or loses its first card; a rename in progress is this header's own state.

import { useRef, useState, useLayoutEffect } from 'preact/hooks'
import * as M from './model'
import { t, axisName } from '../i18n'
import { useStore, useTopics } from './store'
import { laneTopic, stageTopic } from './routing'
import { pure } from '../ui/pure'

type Which = 'stages' | 'lanes'

interface AxisProps {
  which: Which
  axis: M.Axis
  /** Its position and how many there are: the first cannot move back, the last not on. */
  index: number
  count: number
}

const LABELS: Record<Which, { rename: 'board.renameStage' | 'board.renameLane', back: 'board.moveLeft' | 'board.moveUp', on: 'board.moveRight' | 'board.moveDown', icons: [string, string], key: string }> = {
  stages: { rename: 'board.renameStage', back: 'board.moveLeft', on: 'board.moveRight', icons: ['◀', '▶'], key: 'stage' },
  lanes: { rename: 'board.renameLane', back: 'board.moveUp', on: 'board.moveDown', icons: ['▲', '▼'], key: 'lane' }
}

/** The rename form in place of the name; keeps focus until saved or cancelled (Escape). */
function RenameForm ({ which, axis, shown, done }: { which: Which, axis: M.Axis, shown: string, done: () => void }) {
  const store = useStore()
  const input = useRef<HTMLInputElement>(null)
  useLayoutEffect(() => { input.current?.focus(); input.current?.select() }, [])
  return (
    <form class='rename-form' onSubmit={(e) => { e.preventDefault(); M.renameAxis(store.doc, which, axis.id, input.current?.value.trim() ?? ''); done() }}>
      <input type='text' class='rename-input' ref={input} defaultValue={axis.title || shown} aria-label={t(LABELS[which].rename, { name: shown })}
        onKeyDown={(e: KeyboardEvent) => { if (e.key === 'Escape') { e.preventDefault(); done() } }} />
      <button type='submit' class='btn small'>{t('board.save')}</button>
    </form>
  )
}

/**
 * A header's actions as one toolbar: one Tab stop (the button used last, else the first that
 * works), the arrow keys, Home and End between its buttons (WAI-ARIA toolbar, roving tabindex).
 */
function AxisActions ({ which, axis, index, count, name, rename }: AxisProps & { name: string, rename: () => void }) {
  const store = useTopics([which === 'stages' ? stageTopic(axis.id) : laneTopic(axis.id)])
  const [current, setCurrent] = useState(0)
  const l = LABELS[which]
  const doc = store.doc
  const buttons: { key: string, label: string, title: string, icon: string, disabled: boolean, run: () => void }[] = [
    { key: `rename-${l.key}`, label: t(l.rename, { name }), title: t('board.rename'), icon: '✎', disabled: false, run: rename },
    { key: `${which === 'stages' ? 'left' : 'up'}-${l.key}`, label: `${t(l.back)}: ${name}`, title: t(l.back), icon: l.icons[0], disabled: index === 0, run: () => M.reorderAxis(doc, which, axis.id, -1) },
    { key: `${which === 'stages' ? 'right' : 'down'}-${l.key}`, label: `${t(l.on)}: ${name}`, title: t(l.on), icon: l.icons[1], disabled: index === count - 1, run: () => M.reorderAxis(doc, which, axis.id, 1) },
    { key: `delete-${l.key}`, label: `${t('board.delete')}: ${name}`, title: t('board.deleteEmpty'), icon: '✕', disabled: count < 2 || store.index.hasCards(which, axis.id), run: () => M.deleteAxis(doc, which, axis.id) }
  ]
  // a disabled button takes no focus: the Tab stop moves to the first one that works
  const stop = buttons[current]?.disabled === false ? current : buttons.findIndex((b) => !b.disabled)
  const onKey = (e: KeyboardEvent): void => {
    const usable = buttons.map((b, i) => b.disabled ? -1 : i).filter((i) => i >= 0)
    const at = usable.indexOf(buttons.findIndex((b) => (e.target as HTMLElement).dataset.key === `${b.key}:${axis.id}`))
    const to = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? usable[(at + 1) % usable.length]
      : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? usable[(at - 1 + usable.length) % usable.length]
        : e.key === 'Home' ? usable[0] : e.key === 'End' ? usable[usable.length - 1] : undefined
    if (to === undefined) return
    e.preventDefault()
    e.stopPropagation()
    setCurrent(to)
    ;(e.currentTarget as HTMLElement).querySelector<HTMLElement>(`[data-key="${buttons[to].key}:${CSS.escape(axis.id)}"]`)?.focus()
  }
  return (
    <span class='axis-actions' role='toolbar' aria-label={t('board.axisActions', { name })} onKeyDown={onKey}>
      {buttons.map((b, i) => (
        <button key={b.key} type='button' class='icon-btn' data-key={`${b.key}:${axis.id}`} aria-label={b.label} title={b.title} disabled={b.disabled}
          tabIndex={i === stop ? 0 : -1} onFocus={() => setCurrent(i)} onClick={b.run}>{b.icon}</button>
      ))}
    </span>
  )
}

/** A stage's column header or a lane's row header. */
function AxisHeaderView (props: AxisProps) {
  const store = useTopics([])
  const [renaming, setRenaming] = useState(false)
  const { which, axis } = props
  const name = axisName(which, axis)
  const done = (): void => {
    setRenaming(false)
    requestAnimationFrame(() => store.root?.querySelector<HTMLElement>(`[data-key="rename-${LABELS[which].key}:${CSS.escape(axis.id)}"]`)?.focus())
  }
  const body = renaming
    ? <RenameForm which={which} axis={axis} shown={name} done={done} />
    : [<span key='n' class='axis-name'>{name}</span>, store.env.canEdit() && store.env.rules().structure() === 'edit' ? <AxisActions key='a' {...props} name={name} rename={() => setRenaming(true)} /> : null]
  return which === 'stages'
    ? <th scope='col' class='stage-head' data-stage={axis.id}>{body}</th>
    : <th scope='row' class='lane-head'>{body}</th>
}

/** A stage or lane header that renders again only when its own props or topics change. */
export const AxisHeader = pure(AxisHeaderView)
