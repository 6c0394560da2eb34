// Makes sure Debian's Chromium is there for the e2e tests (no browser download: apt only).
import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

const bin = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
if (!existsSync(bin)) {
  if (process.getuid && process.getuid() === 0) {
    console.log('e2e: installing Debian chromium (apt-get install -y chromium)')
    execFileSync('apt-get', ['update'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  } else {
    console.error(`e2e: ${bin} not found. Install it: sudo apt-get install -y chromium (or set CHROMIUM_PATH)`)
    process.exit(1)
  }
}
