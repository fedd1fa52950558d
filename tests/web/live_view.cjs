// Drives Debian's Chromium (headless, via playwright-core) against a running nvt: logs in with
// HTTP Digest, checks that the live view plays and shows the test pattern, measures the delay
// between each shown frame's capture time (EXT-X-PROGRAM-DATE-TIME) and the wall clock, then
// pauses to fall behind and checks that playing again rejoins the live edge.
//
// usage: node live_view.cjs BASE_URL USER PASSWORD OUT_DIR
// Prints one JSON line with the measurements; exits non-zero on a failed check.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');

const modules = process.env.NVT_NODE_MODULES || path.join(__dirname, '../../target/node/node_modules');
const { chromium } = require(path.join(modules, 'playwright-core'));

const [base, user, password, outDir] = process.argv.slice(2);
const PLAY_SECONDS = 10;
const REJOIN_BEHIND_MS = 6000;
const REJOINED_MS = 5000;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nvt-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required'],
    httpCredentials: { username: user, password },
    viewport: { width: 1280, height: 1000 },
  });
  const result = {};
  try {
    const page = context.pages()[0] || (await context.newPage());
    const logs = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    const resp = await page.goto(base + '/', { waitUntil: 'load', timeout: 30000 });
    check(resp.status() === 200, `page status ${resp.status()}`);
    result.player = await page.evaluate(() => {
      const v = document.getElementById('video');
      return {
        mse_h264: window.MediaSource ? MediaSource.isTypeSupported('video/mp4; codecs="avc1.4d401f"') : false,
        native_hls: v.canPlayType('application/vnd.apple.mpegurl'),
      };
    });

    // Playing: currentTime advances.
    await page.waitForFunction(() => document.getElementById('video').currentTime > 0.5, null, { timeout: 45000 })
      .catch((e) => { throw new Error(`video never started: ${e.message}\n${logs.join('\n')}`); });
    result.using = await page.evaluate(() => (window.nvt.native ? 'native' : 'hls.js ' + Hls.version));
    const t0 = await page.evaluate(() => document.getElementById('video').currentTime);
    const latencies = [];
    for (let i = 0; i < PLAY_SECONDS; i++) {
      await sleep(1000);
      const lat = await page.evaluate(() => window.nvt.latencyMs());
      if (lat !== null) latencies.push(lat);
    }
    const t1 = await page.evaluate(() => document.getElementById('video').currentTime);
    result.played_seconds = +(t1 - t0).toFixed(2);
    check(t1 - t0 > PLAY_SECONDS * 0.5, `currentTime advanced only ${t1 - t0} s in ${PLAY_SECONDS} s`);
    check(latencies.length > 0, 'no program date-time on screen');
    result.latency_ms = stats(latencies);
    // hls.js's own view: distance to the live edge of the playlist, and its target.
    result.hls_js = await page.evaluate(() => window.nvt.hls && {
      edge_latency_s: +window.nvt.hls.latency.toFixed(2),
      target_latency_s: window.nvt.hls.targetLatency,
      buffered_ahead_s: (() => {
        const v = document.getElementById('video');
        return v.buffered.length ? +(v.buffered.end(v.buffered.length - 1) - v.currentTime).toFixed(2) : 0;
      })(),
    });

    // The picture is the test pattern, not a uniform (black, grey) frame: decode the
    // element's screenshot in the page and measure its luma spread.
    const shot = await page.locator('#video').screenshot();
    result.screenshot_luma_stddev = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let sum = 0, sq = 0, n = 0;
      for (let i = 0; i < d.length; i += 16) {
        const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
        sum += y; sq += y * y; n++;
      }
      const mean = sum / n;
      return +Math.sqrt(sq / n - mean * mean).toFixed(1);
    }, shot.toString('base64'));
    check(result.screenshot_luma_stddev > 10, `uniform picture (stddev ${result.screenshot_luma_stddev})`);
    if (outDir) {
      fs.writeFileSync(path.join(outDir, 'video.png'), shot);
      await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });
    }

    // The page shows the settings and the RTSP URL to paste into an NVR.
    const text = await page.evaluate(() => document.body.innerText);
    check(/rtsp:\/\/\S+\/main/.test(text), 'no RTSP URL on the page');
    check(/\/onvif\/device_service/.test(text), 'no ONVIF URL on the page');
    check(/bitrate_kbps/.test(text), 'no encoder settings on the page');
    // The RTSP engine's viewers: the test runs one RTSP client beside the browser.
    const rtspViewers = Number(process.env.NVT_EXPECT_RTSP_VIEWERS || 0);
    if (rtspViewers) {
      check(text.includes(`RTSP: ${rtspViewers} watching`), `RTSP viewer count not shown:\n${text}`);
      check(/127\.0\.0\.1:\d+/.test(text), 'RTSP viewer row not shown');
    }
    check(/browsers \(HLS\): [1-9]/.test(text), 'HLS watcher not counted');

    // Fall behind (paused, as a sleeping tab is), then play: back to live.
    await page.evaluate(() => document.getElementById('video').pause());
    await sleep(REJOIN_BEHIND_MS);
    result.behind_ms = await page.evaluate(() => window.nvt.latencyMs());
    const t2 = Date.now();
    await page.evaluate(() => document.getElementById('video').play());
    let after = null;
    // Generous bounds: the test machine is shared; the page jumps back past 4 s behind.
    while (Date.now() - t2 < 20000) {
      await sleep(500);
      after = await page.evaluate(() => window.nvt.latencyMs());
      if (after !== null && after < REJOINED_MS) break;
    }
    result.rejoined_ms = after;
    result.rejoin_took_ms = Date.now() - t2;
    check(after !== null && after < REJOINED_MS, `did not rejoin live: still ${after} ms behind`);
    check(result.behind_ms > after + 2000, `was not behind (${result.behind_ms} ms) before rejoining`);
  } finally {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
