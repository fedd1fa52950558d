// Drives Debian's Chromium (headless, via playwright-core) against a running nvt whose `main`
// profile has AAC audio: the camera page must play the muxed HLS (hls.js on MSE) with the
// audio decoded while the video plays. Audio decoding is proven twice: Chromium's
// `webkitAudioDecodedByteCount` (bytes through the audio decoder) grows, and a WebAudio
// analyser on the element hears the simulator's beeps (loud samples among quiet ones).
// Also reports what Chromium's MSE accepts for the camera's audio codecs (docs/web.md).
//
// usage: node hls_audio.cjs BASE_URL USER PASSWORD
// Prints one JSON line with the measurements; exits non-zero on a failed check.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');

const modules = process.env.NVT_NODE_MODULES || path.join(__dirname, '../../target/node/node_modules');
const { chromium } = require(path.join(modules, 'playwright-core'));

const [base, user, password] = process.argv.slice(2);
const LISTEN_SECONDS = 4;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nvt-chromium-audio-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required'],
    httpCredentials: { username: user, password },
    viewport: { width: 1280, height: 1000 },
  });
  const result = {};
  const logs = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    const resp = await page.goto(base + '/', { waitUntil: 'load', timeout: 30000 });
    check(resp.status() === 200, `page status ${resp.status()}`);
    // What this Chromium's MSE takes: AAC-LC, and G.711 in MP4 (which HLS leaves out).
    result.mse = await page.evaluate(() => Object.fromEntries(
      ['mp4a.40.2', 'ulaw', 'alaw', 'sowt'].map((c) => [c, MediaSource.isTypeSupported(`audio/mp4; codecs="${c}"`)])));
    result.multivariant = await page.evaluate(async () => (await fetch('/hls/main/index.m3u8')).text());
    check(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/.test(result.multivariant), `CODECS without AAC:\n${result.multivariant}`);

    await page.waitForFunction(() => document.getElementById('video').currentTime > 0.5, null, { timeout: 45000 })
      .catch((e) => { throw new Error(`video never started: ${e.message}\n${logs.join('\n')}`); });
    result.using = await page.evaluate(() => (window.nvt.native ? 'native' : 'hls.js ' + Hls.version));
    // Chromium updates the decoded-byte counters from its media thread's statistics, which
    // lag the picture under load (test-all once read 0 bytes of video *and* audio after
    // currentTime passed 0.5 s): wait for both decoders to have counted something.
    await page.waitForFunction(() => {
      const v = document.getElementById('video');
      return v.webkitVideoDecodedByteCount > 0 && v.webkitAudioDecodedByteCount > 0;
    }, null, { timeout: 15000 })
      .catch(async () => {
        const c = await page.evaluate(() => {
          const v = document.getElementById('video');
          return [v.webkitVideoDecodedByteCount, v.webkitAudioDecodedByteCount];
        });
        throw new Error(`no audio decoded within 15 s of the video's start (video, audio bytes: ${c})`);
      });
    // The page starts muted (autoplay); a viewer unmutes: so does the test, and listens.
    await page.evaluate(() => {
      const v = document.getElementById('video');
      v.muted = false;
      const ctx = new AudioContext();
      const an = ctx.createAnalyser();
      an.fftSize = 2048;
      ctx.createMediaElementSource(v).connect(an);
      an.connect(ctx.destination);
      window.nvtEar = { ctx, an, peaks: [] };
      const buf = new Float32Array(an.fftSize);
      window.nvtEar.timer = setInterval(() => {
        an.getFloatTimeDomainData(buf);
        let p = 0;
        for (const x of buf) p = Math.max(p, Math.abs(x));
        window.nvtEar.peaks.push(p);
      }, 20);
      return ctx.resume();
    });
    const before = await page.evaluate(() => {
      const v = document.getElementById('video');
      return { audio: v.webkitAudioDecodedByteCount, video: v.webkitVideoDecodedByteCount, t: v.currentTime };
    });
    await sleep(LISTEN_SECONDS * 1000);
    const after = await page.evaluate(() => {
      const v = document.getElementById('video');
      clearInterval(window.nvtEar.timer);
      return {
        audio: v.webkitAudioDecodedByteCount, video: v.webkitVideoDecodedByteCount, t: v.currentTime,
        ctx_state: window.nvtEar.ctx.state, peaks: window.nvtEar.peaks,
        level: window.nvt.hls && window.nvt.hls.levels[window.nvt.hls.currentLevel],
      };
    });
    result.audio_decoded_bytes = [before.audio, after.audio];
    result.video_decoded_bytes = [before.video, after.video];
    result.played_seconds = +(after.t - before.t).toFixed(2);
    result.audio_context = after.ctx_state;
    result.level_codecs = after.level ? [after.level.videoCodec, after.level.audioCodec] : null;
    const peaks = after.peaks;
    const loud = peaks.filter((p) => p > 0.1).length;
    const quiet = peaks.filter((p) => p < 0.01).length;
    result.ear = { windows: peaks.length, loud, quiet, max: +Math.max(0, ...peaks).toFixed(3) };
    check(after.t - before.t > LISTEN_SECONDS * 0.5, `video advanced only ${after.t - before.t} s`);
    check(after.video > before.video, 'video not decoding');
        check(after.audio > before.audio, `audio decoding stopped: ${before.audio} -> ${after.audio} bytes`);
    // Beeps of 100 ms once a second, silence between: both are heard.
    check(loud > 0, `no beep heard: ${JSON.stringify(result.ear)}`);
    check(quiet > 0, `no silence between the beeps: ${JSON.stringify(result.ear)}`);
  } catch (e) {
    e.message += `\n${JSON.stringify(result)}\n${logs.join('\n')}`;
    throw e;
  } finally {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  delete result.multivariant;
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
