//! Export: CSV and JSON of the content, and a PNG drawn from the model (not a screenshot of the
//! page, so it needs no extra library and is the same at any window size). Printing uses the
//! print style sheet (styles.css, `@media print`), which shows every stage.

import type * as Y from 'yjs'
import * as M from '../board/model'
import { axisName, t, type Key } from '../i18n'
import { download } from '../ui/dom'
import { drawConnector, type Box } from '../board/connectors'
import { signed } from '../board/emotion-text'
import { hiddenText } from '../board/hidden-text'
import { exportRows, toCsv, toJson } from './export-data'

export function exportCsv (doc: Y.Doc, name: string): void {
  const csv = toCsv(exportRows(doc, (w, a) => axisName(w, a)))
  // BOM so that spreadsheet programs read UTF-8 (accents in nl/fr/de)
  download(`${name}.csv`, new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' }))
}

export function exportJson (doc: Y.Doc, name: string): void {
  download(`${name}.json`, new Blob([JSON.stringify(toJson(doc), null, 2)], { type: 'application/json' }))
}

const NOTE_FILL: Record<string, string> = { yellow: '#fff4b3', pink: '#ffd6e7', blue: '#d3e6ff', green: '#d4f5d4', orange: '#ffe0b8', purple: '#e8dcff' }

function wrap (ctx: CanvasRenderingContext2D, text: string, width: number, maxLines: number): string[] {
  const lines: string[] = []
  for (const para of text.split('\n')) {
    let line = ''
    for (const word of para.split(/\s+/)) {
      const next = line ? `${line} ${word}` : word
      if (ctx.measureText(next).width > width && line) { lines.push(line); line = word } else line = next
      if (lines.length >= maxLines) break
    }
    if (line && lines.length < maxLines) lines.push(line)
  }
  if (lines.length >= maxLines) lines[maxLines - 1] += '…'
  return lines.slice(0, maxLines)
}

/** Draw the board; returns the canvas (exported for tests). */
export function drawBoard (doc: Y.Doc): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d')!
  const font = '14px system-ui, sans-serif'
  const tpl = M.templateOf(doc)
  if (tpl === 'canvas') {
    const items = M.allItems(doc).filter((i) => i.type === 'note' || i.type === 'group')
    canvas.width = Math.max(400, ...items.map((i) => (i.x ?? 0) + (i.w ?? 160) + 20))
    canvas.height = Math.max(300, ...items.map((i) => (i.y ?? 0) + (i.h ?? 120) + 20))
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, canvas.width, canvas.height)
    ctx.font = font
    for (const i of items.sort((a, b) => (a.type === 'group' ? -1 : 0) - (b.type === 'group' ? -1 : 0))) {
      const { x, y, w, h: hh } = M.boxOf(i)
      ctx.fillStyle = i.type === 'group' ? '#f3f3f3' : NOTE_FILL[i.color ?? 'yellow'] ?? '#fff4b3'
      ctx.strokeStyle = '#555'; ctx.fillRect(x, y, w, hh); ctx.strokeRect(x, y, w, hh)
      ctx.fillStyle = '#111'
      const text = i.hidden ? hiddenText(i.hidden) : i.text
      wrap(ctx, text, w - 16, Math.floor((hh - 16) / 18)).forEach((l, k) => ctx.fillText(l, x + 8, y + 22 + k * 18))
    }
    drawConnectors(ctx, doc, new Map(items.map((i) => [i.id, M.boxOf(i)])))
    return canvas
  }
  const stages = M.stages(doc); const lanes = M.lanes(doc)
  const colW = 220; const headW = 170; const cardH = 64; const pad = 8
  const rowHeights = lanes.map((l) => {
    const n = Math.max(1, ...stages.map((s) => M.cardsIn(doc, l.id, s.id).length))
    return 40 + n * (cardH + pad)
  })
  canvas.width = headW + stages.length * colW + 20
  canvas.height = 50 + rowHeights.reduce((a, b) => a + b, 0) + 20
  ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.font = `bold ${font}`; ctx.fillStyle = '#111'
  ctx.fillText(t(`template.${tpl}` as Key), 10, 30)
  stages.forEach((s, i) => ctx.fillText(axisName('stages', s), headW + i * colW + pad, 30))
  let y = 50
  const boxes = new Map<string, Box>()
  lanes.forEach((l, li) => {
    ctx.strokeStyle = '#999'; ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(canvas.width, y); ctx.stroke()
    ctx.font = `bold ${font}`; ctx.fillStyle = '#111'
    ctx.fillText(axisName('lanes', l), 10, y + 24)
    ctx.font = font
    stages.forEach((s, si) => {
      M.cardsIn(doc, l.id, s.id).forEach((c, k) => {
        const x = headW + si * colW + pad; const cy = y + pad + k * (cardH + pad)
        boxes.set(c.id, { x, y: cy, w: colW - 2 * pad, h: cardH })
        ctx.fillStyle = '#fff4b3'; ctx.fillRect(x, cy, colW - 2 * pad, cardH)
        ctx.strokeStyle = '#777'; ctx.strokeRect(x, cy, colW - 2 * pad, cardH)
        ctx.fillStyle = '#111'
        const text = c.hidden ? hiddenText(c.hidden) : c.text
        wrap(ctx, text, colW - 4 * pad, 3).forEach((line, n) => ctx.fillText(line, x + pad, cy + 20 + n * 18))
      })
      if (l.kind === 'emotions') {
        const v = M.emotion(doc, s.id)
        if (v !== undefined) ctx.fillText(signed(v), headW + si * colW + colW - 48, y + 24)
      }
    })
    y += rowHeights[li]
    const line = tpl === 'service-blueprint' ? M.BLUEPRINT_LINES[l.kind] : undefined
    if (line) drawBlueprintLine(ctx, y, canvas.width, line)
  })
  drawConnectors(ctx, doc, boxes)
  return canvas
}

/** The same dash styles as on screen: interaction dashed, visibility solid, internal dotted. */
const LINE_DASH: Record<string, number[]> = { interaction: [8, 5], visibility: [], internal: [2, 4] }

function drawBlueprintLine (ctx: CanvasRenderingContext2D, y: number, width: number, line: string): void {
  ctx.save()
  ctx.strokeStyle = '#333333'; ctx.lineWidth = 3; ctx.setLineDash(LINE_DASH[line] ?? [])
  ctx.beginPath(); ctx.moveTo(0, y - 2); ctx.lineTo(width, y - 2); ctx.stroke()
  ctx.font = 'bold 12px system-ui, sans-serif'; ctx.fillStyle = '#333333'
  ctx.fillText(t(`line.${line}` as Key), 10, y - 8)
  ctx.restore()
}

/** The board's arrows (blueprint) or connectors (canvas) between the boxes drawn. */
function drawConnectors (ctx: CanvasRenderingContext2D, doc: Y.Doc, boxes: Map<string, Box>): void {
  for (const c of M.allItems(doc).filter((i) => i.type === 'connector')) {
    const a = boxes.get(c.from ?? ''); const b = boxes.get(c.to ?? '')
    if (a && b) drawConnector(ctx, a, b, c.directed !== false)
  }
}

export function exportPng (doc: Y.Doc, name: string): void {
  drawBoard(doc).toBlob((blob) => { if (blob) download(`${name}.png`, blob) }, 'image/png')
}
