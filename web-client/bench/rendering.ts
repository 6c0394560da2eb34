// What the browser's own rendering costs, which a JavaScript profile shows only as "(program)":
// a Chromium trace (devtools.timeline) of the page's main thread, summed per event (style
// recalculation, layout, paint, ...), with how many elements each style recalculation touched
// and how much of the layout tree each layout redid.

export interface RenderingCost {
  /** trace event name, e.g. UpdateLayoutTree (Recalculate Style), Layout, Paint */
  event: string
  count: number
  /** time inside these events (nested events count in each), ms */
  totalMs: number
  /** UpdateLayoutTree: elements restyled on average; Layout: dirty / total layout objects */
  detail?: string
}

interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  ts: number
  dur?: number
  args?: { name?: string, elementCount?: number, beginData?: { dirtyObjects?: number, totalObjects?: number }, data?: { elementCount?: number } }
}

/** Every task of the thread is one of these: all the rest happens inside them. */
const TASK = 'RunTask'

/** The `top` most expensive rendering events of the renderer main threads in a Chromium trace. */
export function renderingCosts (traceJson: string, top = 12): RenderingCost[] {
  const parsed = JSON.parse(traceJson) as { traceEvents?: TraceEvent[] } | TraceEvent[]
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents ?? []
  const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`))
  const byName = new Map<string, { count: number, us: number, elements: number, dirty: number, objects: number }>()
  const open = new Map<string, TraceEvent[]>()
  const add = (e: TraceEvent, dur: number, end?: TraceEvent): void => {
    const s = byName.get(e.name) ?? { count: 0, us: 0, elements: 0, dirty: 0, objects: 0 }
    s.count += 1
    s.us += dur
    s.elements += e.args?.elementCount ?? end?.args?.elementCount ?? e.args?.data?.elementCount ?? 0
    s.dirty += e.args?.beginData?.dirtyObjects ?? 0
    s.objects += e.args?.beginData?.totalObjects ?? 0
    byName.set(e.name, s)
  }
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`
    if (!mainThreads.has(thread)) continue
    if (e.ph === 'X') add(e, e.dur ?? 0)
    else if (e.ph === 'B') open.set(thread, [...(open.get(thread) ?? []), e])
    else if (e.ph === 'E') {
      const stack = open.get(thread) ?? []
      const begin = stack.pop()
      if (begin) add(begin, e.ts - begin.ts, e)
    }
  }
  return [...byName].sort((a, b) => b[1].us - a[1].us).slice(0, top).map(([event, s]) => ({
    event: event === TASK ? `${TASK} (every task: all below, and what no event names)` : event,
    count: s.count,
    totalMs: s.us / 1000,
    detail: event === 'UpdateLayoutTree' && s.elements
      ? `${Math.round(s.elements / s.count)} elements restyled on average`
      : event === 'Layout' && s.objects
        ? `${Math.round(s.dirty / s.count)} of ${Math.round(s.objects / s.count)} layout objects dirty on average`
        : undefined
  }))
}
