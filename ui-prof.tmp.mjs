import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { chromium } from '@playwright/test'
const dataDir = process.argv[2]
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage']
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] }
const serve = spawn(process.execPath, ['out/main/cli.js', '--data-dir', dataDir, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve) => { let out = ''; serve.stdout.on('data', (d) => { out += d; const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out); if (m) resolve(m[1]) }) })
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS })
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(url)
  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click()
  await page.getByTestId('device-row').first().waitFor()
  await page.waitForTimeout(500)
  const cdp = await page.context().newCDPSession(page)
  for (let run = 0; run < Number(process.argv[3] ?? 2); run++) {
    if (run === 1) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start') }
    const frames = await page.evaluate(async () => {
      const row = document.querySelector('[data-testid="device-row"]')
      let el = row.parentElement
      while (el && el.scrollHeight <= el.clientHeight + 1) el = el.parentElement
      const times = []
      const end = performance.now() + 3000
      let last = performance.now()
      while (performance.now() < end) {
        el.scrollTop += 120
        await new Promise((r) => requestAnimationFrame(r))
        const now = performance.now(); times.push(now - last); last = now
      }
      return { times, scrolled: el.scrollTop }
    })
    console.log(`run ${run}: ${frames.times.length} frames p50 ${pct(frames.times, 50).toFixed(1)} p95 ${pct(frames.times, 95).toFixed(1)} max ${Math.max(...frames.times).toFixed(1)} scrolled ${frames.scrolled}`)
    if (run === 1) { const { profile } = await cdp.send('Profiler.stop'); writeFileSync('/tmp/h13/uiprof/ui.cpuprofile', JSON.stringify(profile)) }
  }
} finally { await browser.close(); serve.kill('SIGTERM') }
