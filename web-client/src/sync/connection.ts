//! One session's live connection: the y-websocket provider with cocreate's own messages
//! (100 saved, 101 session), the offline store (y-indexeddb) and a status for the UI.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as decoding from 'lib0/decoding'
import { ObservableV2 } from 'lib0/observable'
import type { Schema } from '../api/client'

export const MSG_SAVED = 100
export const MSG_SESSION = 101

/** The session as message 101 carries it: the API's `Session` (openapi.json). */
export type Session = Schema<'Session'>

/** Who this connection's token names, as message 101 carries it: the API's `You`. */
export type You = Schema<'You'>

export interface SessionMessage { event: string, session: Session, you: You }

/**
 * An edit a rule forbids, dropped by the server (issue 27; server/README.md "Enforcement"): this
 * device's copy holds what nobody else has, so the page throws it away and takes the server's.
 */
export interface EditRefused { event: 'edit-refused', zone: string, reason: string }

export type Status = 'connecting' | 'online' | 'offline' | 'closed'

export interface ConnectionState {
  status: Status
  /** Local changes not yet confirmed stored by the server. */
  pending: number
  /** True once the server has said how many of our updates it stored (cocreate servers only). */
  savedKnown: boolean
  /** Every local change is in this browser's IndexedDB (survives a reload, also offline). */
  keptLocally: boolean
  /** The reason of a 1008 close (bad, expired or revoked token, kicked): no reconnection. */
  refused?: string
  synced: boolean
}

type Events = {
  state: (s: ConnectionState) => void
  session: (m: SessionMessage) => void
  refused: (m: EditRefused) => void
}

/** Counts the sync step 2 and update messages sent on one socket (what message 100 counts). */
function countingWebSocket (onSend: () => void): typeof WebSocket {
  return class CountingWebSocket extends WebSocket {
    send (data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (data instanceof Uint8Array && data.length > 1 && data[0] === 0 && (data[1] === 1 || data[1] === 2)) onSend()
      super.send(data)
    }
  }
}

export interface ConnectOptions {
  /** http(s) origin of the server; the WebSocket URL is derived from it. */
  origin: string
  room: string
  token?: string
  /** Key under which the offline copy is kept (per session). */
  storeName: string
  /** Open a doc without network (tests). */
  offlineOnly?: boolean
}

/** How long others' edits wait to be written to this device's store, merged (see batchRemoteWrites). */
const REMOTE_WRITE_DELAY_MS = 1000

export class Connection extends ObservableV2<Events> {
  readonly doc = new Y.Doc()
  readonly provider: WebsocketProvider
  readonly persistence: IndexeddbPersistence
  state: ConnectionState = { status: 'connecting', pending: 0, savedKnown: false, keptLocally: true, synced: false }
  /** Resolves once the offline copy is loaded into the doc. */
  readonly localLoaded: Promise<void>
  private sentOnSocket = 0
  private savedOnSocket = 0
  /** Local changes made while no socket was open (survive reloads via localStorage). */
  private offlinePending: number
  private readonly pendingKey: string
  /** Set when local edits were made that the server refused (read-only): they must not be resent. */
  discardOnResync = false
  /** Called instead of answering the server's sync step 1 while `discardOnResync` is set. */
  onDiscardLocal?: () => void

  constructor (opts: ConnectOptions) {
    super()
    this.pendingKey = `cocreate.pending.${opts.storeName}`
    this.offlinePending = Number(localStorage.getItem(this.pendingKey) || 0) || 0
    this.persistence = new IndexeddbPersistence(`cocreate:${opts.storeName}`, this.doc)
    this.localLoaded = this.persistence.whenSynced.then(() => undefined)
    this.batchRemoteWrites()
    const params: Record<string, string> = { cocreate: '1' }
    if (opts.token) params.token = opts.token
    const wsBase = opts.origin.replace(/^http/, 'ws') + '/ws'
    this.provider = new WebsocketProvider(wsBase, opts.room, this.doc, {
      params,
      connect: false,
      WebSocketPolyfill: countingWebSocket(() => { this.sentOnSocket += 1; this.update() }),
      maxBackoffTime: 2500
    })
    const handlers = this.provider.messageHandlers
    handlers[MSG_SAVED] = (_encoder, decoder) => {
      const payload = decoding.readVarUint8Array(decoder)
      this.savedOnSocket = decoding.readVarUint(decoding.createDecoder(payload))
      this.state.savedKnown = true
      if (this.savedOnSocket >= this.sentOnSocket) this.setOfflinePending(0)
      this.update()
    }
    handlers[MSG_SESSION] = (_encoder, decoder) => {
      const payload = decoding.readVarUint8Array(decoder)
      try {
        const msg = JSON.parse(new TextDecoder().decode(payload)) as SessionMessage | EditRefused
        if (msg.event === 'edit-refused') this.emit('refused', [msg as EditRefused]); else this.emit('session', [msg as SessionMessage])
      } catch (err) {
        console.error('cocreate: bad session message', err)
      }
    }
    // When the server asks for our state again (it does after an unlock) while we hold edits it
    // refused, answering would send them: let the page throw the local copy away instead.
    const syncHandler = handlers[0]
    handlers[0] = (encoder, decoder, provider, emitSynced, messageType) => {
      if (this.discardOnResync && decoder.arr[decoder.pos] === 0) {
        decoding.readVarUint(decoder)
        decoding.readVarUint8Array(decoder)
        this.onDiscardLocal?.()
        return
      }
      syncHandler(encoder, decoder, provider, emitSynced, messageType)
    }
    // permission denied (read-only connections): the session message says it better
    handlers[2] = (_encoder, decoder) => {
      decoding.readVarUint(decoder)
      if (decoder.pos < decoder.arr.length) decoding.readVarString(decoder)
    }
    this.provider.on('status', ({ status }: { status: string }) => {
      if (status === 'connected') {
        this.sentOnSocket = 0
        this.savedOnSocket = 0
        this.state.status = 'online'
      } else {
        // the server is out of reach: from now on this device's copy is what a reload shows
        this.flushRemoteWrites()
        this.state.status = this.state.refused ? 'closed' : (navigator.onLine ? 'connecting' : 'offline')
      }
      this.update()
    })
    this.provider.on('sync', (synced: boolean) => { this.state.synced = synced; this.update() })
    this.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event && event.code === 1008) {
        this.state.refused = event.reason || 'refused'
        this.state.status = 'closed'
        this.provider.disconnect()
        this.update()
      } else if (this.state.status === 'online') {
        this.state.status = 'connecting'
        this.update()
      }
    })
    this.doc.on('update', (_u: Uint8Array, origin: unknown) => {
      if (origin === this.provider || origin === this.persistence) return
      if (!this.provider.wsconnected) this.setOfflinePending(this.offlinePending + 1)
      this.trackLocalWrite()
      this.update()
    })
    window.addEventListener('offline', this.onOffline)
    window.addEventListener('online', this.onOnline)
    if (!opts.offlineOnly) {
      // connect after the offline copy is in the doc, so the first sync sends what we kept
      this.localLoaded.then(() => { if (!this.state.refused) this.provider.connect() })
    }
  }

  /** The browser says it is offline: stop trying (the socket may not notice for 30 s) and say so. */
  private readonly onOffline = (): void => {
    this.flushRemoteWrites()
    this.provider.disconnect()
    this.state.status = 'offline'
    this.update()
  }
  private readonly onOnline = (): void => {
    if (this.state.refused) return
    if (!this.provider.wsconnected) { this.state.status = 'connecting'; this.update(); this.provider.connect() }
  }

  /** Writes what is waiting of others' edits to this device's store now (on leaving, hiding). */
  private flushRemoteWrites = (): void => {}
  /** The offline copy was thrown away: nothing more is written to it. */
  private localCleared = false

  /**
   * y-indexeddb writes every update in its own IndexedDB transaction, a cost on every remote
   * keystroke. Others' edits are safe on the server already (a reload gets them back from it), so
   * they are written merged, once per REMOTE_WRITE_DELAY_MS, and at once when the connection
   * drops (then a reload shows this copy); the server's first state and this person's own edits
   * are written at once, as offline work needs.
   */
  private batchRemoteWrites (): void {
    const store = (this.persistence as unknown as { _storeUpdate: (update: Uint8Array, origin: unknown) => void })._storeUpdate
    let batch: Uint8Array[] = []
    let timer: ReturnType<typeof setTimeout> | undefined
    this.flushRemoteWrites = () => {
      clearTimeout(timer)
      timer = undefined
      if (this.localCleared) batch = []
      if (!batch.length) return
      const merged = batch.length === 1 ? batch[0] : Y.mergeUpdates(batch)
      batch = []
      store(merged, this.provider)
    }
    this.doc.off('update', store)
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (this.localCleared) return // left or thrown away: nothing goes back on this device
      // the server's first state (the board itself) is kept at once; an own edit is written
      // after what came before it, so that the store never holds an edit without its base
      if (origin !== this.provider || !this.provider.synced) { this.flushRemoteWrites(); store(update, origin); return }
      batch.push(update)
      timer ??= setTimeout(this.flushRemoteWrites, REMOTE_WRITE_DELAY_MS)
    })
    window.addEventListener('pagehide', this.flushRemoteWrites)
  }

  private localWrites = 0
  /**
   * y-indexeddb writes each update in its own transaction, without telling when it is done.
   * IndexedDB runs transactions on the same store in order, so a read started after that write
   * completes after it: then the change survives a reload.
   */
  private trackLocalWrite (): void {
    const db = (this.persistence as unknown as { db: IDBDatabase | null }).db
    if (!db) return
    this.localWrites += 1
    this.state.keptLocally = false
    try {
      const tx = db.transaction(['updates'], 'readonly')
      tx.objectStore('updates').count()
      const done = (): void => {
        this.localWrites -= 1
        if (this.localWrites === 0) { this.state.keptLocally = true; this.update() }
      }
      tx.oncomplete = done
      tx.onerror = done
      tx.onabort = done
    } catch {
      this.localWrites -= 1
    }
  }

  private setOfflinePending (n: number): void {
    this.offlinePending = n
    if (n) localStorage.setItem(this.pendingKey, String(n)); else localStorage.removeItem(this.pendingKey)
  }

  private update (): void {
    const onSocket = Math.max(0, this.sentOnSocket - this.savedOnSocket)
    this.state.pending = this.provider.wsconnected && this.state.savedKnown
      ? onSocket
      : this.offlinePending + (this.provider.wsconnected ? onSocket : 0)
    this.emit('state', [{ ...this.state }])
  }

  destroy (): void {
    this.flushRemoteWrites()
    window.removeEventListener('pagehide', this.flushRemoteWrites)
    window.removeEventListener('offline', this.onOffline)
    window.removeEventListener('online', this.onOnline)
    this.provider.destroy()
    this.persistence.destroy()
    this.doc.destroy()
    super.destroy()
  }

  /** Forget the offline copy (after edits that the server refused, e.g. while locked). */
  async clearLocal (): Promise<void> {
    this.localCleared = true
    this.setOfflinePending(0)
    await this.persistence.clearData()
  }
}
