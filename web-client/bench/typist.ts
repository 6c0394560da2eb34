// A remote participant in Node: the official y-websocket provider on a Yjs doc, against the
// server's development room, who says in presence that it edits its own card and types into it,
// one character per Yjs transaction (as the client's text binding sends a keystroke), at a fixed
// rate. Each keystroke's send time is kept: the card's text after keystroke j is the marker the
// viewer's observer looks for.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'
import { typed } from './keystrokes'

/** How long connecting and the first sync may take. */
const SYNC_MS = 20_000

/** Milliseconds since the epoch, sub-millisecond: comparable with the page's timeOrigin + now(). */
export const epochMs = (): number => performance.timeOrigin + performance.now()

/** A y-websocket provider for a development room of the server at `serverUrl`. */
export function connect (serverUrl: string, room: string, doc: Y.Doc): WebsocketProvider {
  const WebSocketImpl = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket
  if (!WebSocketImpl) throw new Error('no WebSocket in this Node.js: run with node --experimental-websocket (npm run bench does) or Node.js 22')
  const provider = new WebsocketProvider(serverUrl.replace(/^http/, 'ws') + '/ws', room, doc, {
    params: { cocreate: '1' },
    WebSocketPolyfill: WebSocketImpl,
    disableBc: true,
    maxBackoffTime: 1000
  })
  // cocreate's own messages (100 saved, 101 session; see src/ connection): nothing a typist acts on
  for (const type of [100, 101]) provider.messageHandlers[type] = (_encoder, decoder) => { decoding.readVarUint8Array(decoder) }
  return provider
}

/** Resolves once `provider` has synced with the server and `ready()` holds for its doc. */
export function whenSynced (provider: WebsocketProvider, ready: () => boolean = () => true, what = 'the board'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = (): void => { provider.doc.off('update', check); provider.off('sync', check); clearTimeout(timer) }
    const check = (): void => { if (provider.synced && ready()) { stop(); resolve() } }
    const timer = setTimeout(() => { stop(); reject(new Error(`${what} did not arrive from the server within ${SYNC_MS} ms`)) }, SYNC_MS)
    provider.doc.on('update', check)
    provider.on('sync', check)
    check()
  })
}

export class Typist {
  readonly doc = new Y.Doc()
  readonly provider: WebsocketProvider
  /** send time (epochMs) of keystroke j (1-based: after it the card holds j typed characters) */
  readonly sentAt: number[] = [NaN]
  private timer?: ReturnType<typeof setTimeout>

  constructor (serverUrl: string, room: string, readonly card: string, readonly name: string) {
    this.provider = connect(serverUrl, room, this.doc)
    this.provider.awareness.setLocalState({ user: { name, color: '#1f6feb', participant: `p_${name.replace(/\W/g, '')}` }, selection: card, editing: card })
  }

  /** Resolves once the server's board, with this typist's card, is in this doc. */
  async synced (): Promise<void> {
    await whenSynced(this.provider, () => !!this.text(), `${this.name}'s card ${this.card}`)
  }

  private text (): Y.Text | undefined {
    const t = this.doc.getMap<Y.Map<unknown>>('items').get(this.card)?.get('text')
    return t instanceof Y.Text ? t : undefined
  }

  /**
   * Types `count` characters, one every 1000/rate ms starting `offsetMs` from now (typists are
   * staggered so that their keystrokes do not all arrive at once); resolves after the last.
   */
  type (count: number, rate: number, offsetMs: number): Promise<void> {
    const text = this.text()
    if (!text) return Promise.reject(new Error(`${this.name}: card ${this.card} is not on the board`))
    const chars = typed(this.sentAt.length - 1 + count)
    const start = epochMs() + offsetMs
    const first = this.sentAt.length
    return new Promise((resolve) => {
      const next = (j: number): void => {
        if (j >= first + count) { resolve(); return }
        this.timer = setTimeout(() => {
          this.sentAt[j] = epochMs()
          this.doc.transact(() => text.insert(text.length, chars[j - 1]))
          next(j + 1)
        }, Math.max(0, start + (j - first) * (1000 / rate) - epochMs()))
      }
      next(first)
    })
  }

  /** Keystrokes typed so far. */
  get count (): number { return this.sentAt.length - 1 }

  destroy (): void {
    clearTimeout(this.timer)
    this.provider.awareness.setLocalState(null)
    this.provider.destroy()
    this.doc.destroy()
  }
}
