//! The canvas. Visual: notes and groups positioned (dragged and resized with the mouse), the
//! connectors drawn, zoomable. As a list (the accessible view, and phones): the same items in
//! reading order, each group's notes inside it. The list renders again only when items come, go
//! or move; a note only when it changes.

import { useLayoutEffect, useRef } from 'preact/hooks'
import * as M from './model'
import * as A from './actions'
import { t } from '../i18n'
import { useStore, useTopics } from './store'
import { CANVAS, CONNECTORS, ZOOM, itemTopic } from './routing'
import { Card } from './card'
import { InDrafts } from './grid'
import { connectorLayer, addConnectorLine } from './connectors'
import { canvasSize } from './zoom'
import { pure } from '../ui/pure'

/** Less than this many pixels between press and release is a click, not a drag. */
const DRAG_SLOP = 3

/** A positioned note or group: dragged by its body, resized by its corner handle. */
function PlacedView ({ id }: { id: string }) {
  const store = useTopics([itemTopic(id)])
  const li = useRef<HTMLLIElement>(null)
  const start = useRef<{ px: number, py: number, x: number, y: number, w: number, h: number, resize: boolean } | null>(null)
  const n = M.item(store.doc, id)
  if (!n) return null
  const b = M.boxOf(n)
  const edit = store.env.canEdit() && store.env.rules().mayMove(n)
  const place = (x: number, y: number, w: number, h: number): void => {
    const s = li.current?.style
    if (s) { s.left = `${x}px`; s.top = `${y}px`; s.width = `${w}px`; s.minHeight = `${h}px` }
  }
  const delta = (e: PointerEvent): [number, number] => start.current ? [(e.clientX - start.current.px) / store.zoom, (e.clientY - start.current.py) / store.zoom] : [0, 0]
  return (
    <li ref={li} class={`${n.type === 'group' ? 'group-li' : 'note-li'}${store.selected === id ? ' selected-li' : ''}`}
      style={{ left: `${b.x}px`, top: `${b.y}px`, width: `${b.w}px`, minHeight: `${b.h}px` }}
      onPointerDown={edit
        ? (e: PointerEvent) => {
            const target = e.target as HTMLElement
            if (target.closest('button, input, textarea, select, summary, form') || e.button !== 0) return
            start.current = { px: e.clientX, py: e.clientY, ...b, resize: target.classList.contains('resize-handle') }
            li.current?.setPointerCapture(e.pointerId)
          }
        : undefined}
      onPointerMove={(e: PointerEvent) => {
        const s = start.current
        if (!s) return
        const [dx, dy] = delta(e)
        if (s.resize) place(s.x, s.y, Math.max(80, s.w + dx), Math.max(60, s.h + dy)); else place(Math.max(0, s.x + dx), Math.max(0, s.y + dy), s.w, s.h)
      }}
      onDblClick={store.env.canEdit() && store.env.rules().mayEditText(n)
        ? (e: MouseEvent) => { if (!(e.target as HTMLElement).closest('button, input, textarea, select, summary, form, [role="menu"]')) A.startEditing(store, id) }
        : undefined}
      onPointerCancel={() => { const s = start.current; start.current = null; if (s) place(s.x, s.y, s.w, s.h) }}
      onPointerUp={(e: PointerEvent) => {
        const s = start.current
        if (!s) return
        const [dx, dy] = delta(e)
        start.current = null
        // a click: the captured pointer's click reaches this li, not the card, so it selects here
        if (Math.abs(dx) < DRAG_SLOP && Math.abs(dy) < DRAG_SLOP) { place(s.x, s.y, s.w, s.h); A.activate(store, id); return }
        if (s.resize) M.setGeometry(store.doc, id, { w: s.w + dx, h: s.h + dy }); else M.setGeometry(store.doc, id, { x: s.x + dx, y: s.y + dy })
      }}>
      <Card id={id} resizable={edit} />
    </li>
  )
}

const Placed = pure(PlacedView)

/** The connectors between canvas items, from the model's boxes (no layout read). */
function Connectors ({ w, h }: { w: number, h: number }) {
  const store = useTopics([CONNECTORS, CANVAS])
  const host = useRef<HTMLDivElement>(null)
  useLayoutEffect(() => {
    const layer = connectorLayer('canvas-connectors', w, h)
    for (const cn of store.index.connectors()) {
      const a = M.item(store.doc, cn.from ?? ''); const b = M.item(store.doc, cn.to ?? '')
      if (a && b) addConnectorLine(layer, M.boxOf(a), M.boxOf(b), cn.directed !== false)
    }
    host.current?.replaceChildren(layer)
  })
  return <div class='canvas-connectors-host' ref={host} />
}

/** This person's draft notes (a private step), positioned like the others, from the drafts' own store. */
function DraftNotes ({ asList }: { asList: boolean }) {
  const drafts = useTopics([CANVAS])
  const notes = drafts.index.canvasItems()
  return <>{notes.map((n) => asList ? <ListItem key={n.id} item={n} /> : <Placed key={n.id} id={n.id} />)}</>
}

/** One item of the list view, with a group's notes listed inside it. */
function ListItem ({ item }: { item: M.ItemView }) {
  const store = useStore()
  const members = item.type === 'group' ? store.index.membersOf(item.id) : []
  return (
    <li class={item.type === 'group' ? 'group-li' : 'note-li'}>
      <Card id={item.id} />
      {members.length
        ? <ul class='notes group-notes' aria-label={t('canvas.members', { n: members.length })}>{members.map((m) => <li key={m.id} class='note-li'><Card id={m.id} /></li>)}</ul>
        : null}
    </li>
  )
}

/** The canvas, drawn (positioned, zoomable) or as the accessible list. */
export function Canvas () {
  const store = useTopics([CANVAS, ZOOM])
  const placed = store.index.canvasItems()
  const asList = store.textView()
  const onDoubleClick = (e: MouseEvent): void => {
    const surface = e.currentTarget as HTMLElement
    if (e.target !== surface || !store.env.canEdit()) return
    const r = surface.getBoundingClientRect()
    A.addNote(store, (e.clientX - r.left) / store.zoom, (e.clientY - r.top) / store.zoom)
  }
  if (asList) {
    const groups = new Set(placed.filter((i) => i.type === 'group').map((i) => i.id))
    return (
      <div class='canvas narrow' id='canvas'>
        <ul class='notes' aria-label={t('canvas.list')}>
          {placed.filter((i) => !(i.group && groups.has(i.group))).map((n) => <ListItem key={n.id} item={n} />)}
          <InDrafts drafts={store.drafts}><DraftNotes asList /></InDrafts>
          {placed.length ? null : <li class='empty'>{t('board.empty')}</li>}
        </ul>
      </div>
    )
  }
  const size = canvasSize(placed)
  const z = store.zoom
  return (
    <div class='canvas-zoom' style={{ width: `${size.w * z}px`, height: `${size.h * z}px` }}>
      <div class='canvas' id='canvas' style={{ width: `${size.w}px`, height: `${size.h}px`, transform: z === 1 ? undefined : `scale(${z})` }} onDblClick={onDoubleClick}>
        <Connectors w={size.w} h={size.h} />
        <ul class='notes' aria-label={t('canvas.list')}>
          {placed.map((n) => <Placed key={n.id} id={n.id} />)}
          <InDrafts drafts={store.drafts}><DraftNotes asList={false} /></InDrafts>
          {placed.length ? null : <li class='empty'>{t('board.empty')}</li>}
        </ul>
      </div>
    </div>
  )
}
