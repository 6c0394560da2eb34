//! Says what other people changed on the board, and who did it ("Anna moved “Long queue” to
//! Pain points, Apply"), through the polite, throttled live region. A remote edit carries the
//! Yjs client id of whoever wrote it; presence (awareness) maps that id to the name the server
//! vouches for. A deletion carries no author, so it is credited to whoever had the item selected.

import * as Y from 'yjs'
import * as M from './model'
import { t, axisName } from '../i18n'
import type { Announcer } from '../ui/announcer'

export interface RemoteChangeSources {
  doc: Y.Doc
  announcer: Announcer
  /** Transactions that are not news: this tab's own edits and what the offline store loads. */
  isOwn: (tr: Y.Transaction) => boolean
  /** The display name of a connected Yjs client, if it is present. */
  nameOfClient: (client: number) => string | undefined
  /** The names of the people whose presence has this item selected or open in an editor. */
  namesOn: (item: string) => string[]
}

/** The client that wrote the current value of a map key (Yjs' internal `_map` of items). */
function writerOf (map: Y.Map<unknown>, key: string): number | undefined {
  const entry = (map as unknown as { _map: Map<string, { id: { client: number } }> })._map.get(key)
  return entry?.id.client
}

/** Announces others' changes to the board's items for as long as the document lives. */
export function announceRemoteChanges (src: RemoteChangeSources): void {
  const { doc, announcer } = src
  const items = M.itemsMap(doc)
  // the last text seen per item: a deleted item's text is gone from the document
  const lastText = new Map<string, string>()
  const remember = (id: string): void => { const i = M.item(doc, id); if (i) lastText.set(id, i.hidden ? '…' : i.text) }
  items.forEach((_, id) => remember(id))

  const someone = (): string => t('announce.someone')
  const nameOf = (client: number | undefined): string => (client === undefined ? undefined : src.nameOfClient(client)) ?? someone()
  const named = (id: string): string => (lastText.get(id) || t('board.cardEmpty')).slice(0, 60)
  const whereIs = (id: string): string => {
    const i = M.item(doc, id)
    if (!i || i.type !== 'card') return t(`template.${M.templateOf(doc) ?? 'canvas'}`)
    const lane = M.lanes(doc).find((l) => l.id === i.lane); const stage = M.stages(doc).find((s) => s.id === i.stage)
    return [lane && axisName('lanes', lane), stage && axisName('stages', stage)].filter(Boolean).join(', ')
  }

  items.observeDeep((events, tr) => {
    const own = src.isOwn(tr)
    for (const ev of events) {
      if (ev.target === items) {
        ev.changes.keys.forEach((change, id) => {
          if (change.action === 'delete') {
            if (!own) {
              const what = named(id)
              const who = src.namesOn(id)[0] ?? someone()
              const type = (change.oldValue instanceof Y.Map) ? change.oldValue.get('type') : undefined
              if (type !== 'connector') announcer.say(t('announce.deleted', { name: who, text: what }))
            }
            lastText.delete(id)
            return
          }
          remember(id)
          const it = M.item(doc, id)
          if (own || !it || it.type === 'connector') return
          const who = nameOf(writerOf(items as Y.Map<unknown>, id))
          if (it.type === 'comment') announcer.say(() => t('announce.commented', { name: who, text: named(it.parent ?? '') }))
          // evaluated when spoken: the text typed since the card was added is included
          else announcer.say(() => t('announce.added', { name: who, text: named(id), where: whereIs(id) }), id)
        })
        continue
      }
      // a change inside one item (its path starts with the item id): a move, or its text
      const id = String(ev.path[0] ?? '')
      if (!id) continue
      remember(id)
      if (own) continue
      if (ev instanceof Y.YMapEvent && (ev.keysChanged.has('lane') || ev.keysChanged.has('stage'))) {
        const who = nameOf(writerOf(ev.target as Y.Map<unknown>, ev.keysChanged.has('stage') ? 'stage' : 'lane'))
        announcer.say(() => t('announce.moved', { name: who, text: named(id), where: whereIs(id) }), `move:${id}`)
      } else if (ev.target instanceof Y.Text) {
        const added = [...ev.changes.added][0] as unknown as { id?: { client: number } } | undefined
        const who = added?.id ? nameOf(added.id.client) : (src.namesOn(id)[0] ?? someone())
        announcer.say(() => t('announce.changed', { name: who, text: named(id) }), id)
      }
    }
  })
}
