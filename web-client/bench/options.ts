// The benchmark's command line and the rows it runs (the matrix of issue 17: board sizes 10 to
// 1,000 cards, 1 to 10 remote typists, and two phone rows at a 4x CPU throttle).

import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** One measurement: a board of `cards` cards, `typists` remote typists at `rate` chars/s each. */
export interface Row {
  cards: number
  typists: number
  /** characters per second per typist */
  rate: number
  /** CPU throttling rate of the viewer (1 = this machine, 4 = a mid-range phone) */
  cpu: number
}

/** A client to measure: a name for the table and the built files the server serves. */
export interface Client { name: string, dist: string }

export interface Options {
  bin: string
  chromium: string
  clients: Client[]
  rows: Row[]
  /** seconds of measured typing per row */
  seconds: number
  /** runs per row and client; the table shows each figure's median */
  repeat: number
  json?: string
  /** directory for CPU profiles (.cpuprofile) of the measured typing; also prints hotspots */
  profile?: string
}

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** This checkout's release server (`cargo build --release -p cocreate-server`). */
const defaultBin = (): string => path.join(clientDir, '..', 'target', 'release', 'cocreate')

export const USAGE = `npm run bench -- [options]

Measures the web client in headless Chromium while remote participants type on a seeded journey map.

  --bin PATH             the cocreate server binary (default $COCREATE_BIN, else
                         ../target/release/cocreate)
  --dist DIR             the built client to measure (default web-client/dist)
  --baseline DIR --candidate DIR
                         measure two built clients side by side, interleaved row by row
  --quick                a short run: 3 rows, 3 s of typing each
  --rows LIST            rows to run instead of the matrix: CARDSxTYPISTS[@THROTTLE], comma-separated
                         (e.g. 300x5,100x1@4)
  --rate N               chars/s per typist (default: 10 for one typist, 5 for several)
  --seconds N            seconds of measured typing per row (default 8)
  --repeat N             run every row N times per client and show the median of each figure
                         (default 1; 3 on a machine that is busy with other work)
  --json FILE            also write every measurement as JSON
  --profile DIR          CPU-profile the viewer during the typing: .cpuprofile files and the top
                         functions by self time (the profiler slows the page: use for hotspots, not
                         for the table)
  --chromium PATH        default /usr/bin/chromium, or $CHROMIUM_PATH
`

/** The default rate: one person typing briskly; several typing at a workshop's pace. */
const rateFor = (typists: number): number => typists === 1 ? 10 : 5

/** Issue 17's matrix: every board size with 1, 5 and 10 typists on this machine, and two phone rows. */
function matrix (): Row[] {
  const rows: Row[] = []
  for (const cards of [10, 100, 300, 1000]) for (const typists of [1, 5, 10]) if (typists <= cards) rows.push({ cards, typists, rate: rateFor(typists), cpu: 1 })
  rows.push({ cards: 100, typists: 1, rate: 5, cpu: 4 }, { cards: 300, typists: 5, rate: 5, cpu: 4 })
  return rows
}

const QUICK: Row[] = [
  { cards: 10, typists: 1, rate: 10, cpu: 1 },
  { cards: 1000, typists: 10, rate: 5, cpu: 1 },
  { cards: 300, typists: 5, rate: 5, cpu: 4 }
]

function parseRows (list: string, rate: number | undefined): Row[] {
  return list.split(',').map((spec) => {
    const m = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/.exec(spec.trim())
    if (!m) throw new Error(`--rows: "${spec}" is not CARDSxTYPISTS[@THROTTLE], e.g. 300x5 or 100x1@4`)
    const typists = Number(m[2])
    return { cards: Number(m[1]), typists, rate: rate ?? rateFor(typists), cpu: m[3] ? Number(m[3]) : 1 }
  })
}

export function parseOptions (argv: string[]): Options | 'help' {
  const args = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') continue
    if (a === '--help' || a === '-h') return 'help'
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}" (see --help)`)
    const flag = a === '--quick'
    if (!flag && (i + 1 >= argv.length || argv[i + 1].startsWith('--'))) throw new Error(`${a} needs a value (see --help)`)
    args.set(a.slice(2), flag ? true : argv[++i])
  }
  const known = ['bin', 'dist', 'baseline', 'candidate', 'quick', 'rows', 'rate', 'seconds', 'repeat', 'json', 'profile', 'chromium']
  for (const k of args.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k} (see --help)`)
  const str = (k: string): string | undefined => { const v = args.get(k); return typeof v === 'string' ? v : undefined }
  const positive = (k: string): number | undefined => {
    const v = str(k)
    if (v === undefined) return undefined
    const n = Number(v)
    if (!(n > 0) || n > 1000) throw new Error(`--${k} must be a number above 0 (got ${v})`)
    return n
  }
  const abs = (p: string): string => path.resolve(process.cwd(), p)
  const baseline = str('baseline')
  const candidate = str('candidate')
  if ((baseline === undefined) !== (candidate === undefined)) throw new Error('--baseline and --candidate go together')
  if (baseline && str('dist')) throw new Error('--dist measures one client; --baseline/--candidate two')
  const clients: Client[] = baseline && candidate
    ? [{ name: 'baseline', dist: abs(baseline) }, { name: 'candidate', dist: abs(candidate) }]
    : [{ name: 'client', dist: abs(str('dist') ?? path.join(clientDir, 'dist')) }]
  const rate = positive('rate')
  const quick = args.get('quick') === true
  const rows = str('rows') ? parseRows(str('rows')!, rate) : (quick ? QUICK : matrix()).map((r) => rate ? { ...r, rate } : r)
  return {
    bin: abs(str('bin') ?? process.env.COCREATE_BIN ?? defaultBin()),
    chromium: str('chromium') ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    clients,
    rows,
    seconds: positive('seconds') ?? (quick ? 3 : 8),
    repeat: Math.round(positive('repeat') ?? 1),
    json: str('json') && abs(str('json')!),
    profile: str('profile') && abs(str('profile')!)
  }
}
