// nvt camera page: live view of one profile at a time, the RTSP engine's viewers, the
// encoder and imaging settings, and the addresses to paste into an NVR. No build step: plain
// script, served from the binary. The bundled hls.js plays where the browser has Media Source
// Extensions; the browser's own HLS player is used where there is none (iPhone) and in Safari,
// whose native player does Low-Latency HLS.
'use strict';

// Past this delay behind the live edge (s), the player jumps back to live: after a sleeping
// tab, a stall, or a pause.
const REJOIN_LATENCY_S = 4;

const video = document.getElementById('video');
const state = { profile: null, hls: null, native: false, status: null };
// For tests and the curious: window.nvt.latencyMs() is the delay on screen.
window.nvt = {
  get hls() { return state.hls; },
  get profile() { return state.profile; },
  get native() { return state.native; },
  latencyMs,
  play,
};

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fillKv(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows.map(([k, v]) => {
    const tr = el('tr');
    tr.append(el('td', k));
    const td = el('td');
    if (v instanceof Node) td.append(v); else td.textContent = v;
    tr.append(td);
    return tr;
  }));
}

// Flattens nested settings objects into "a.b: value" rows.
function flatten(obj, prefix = '') {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(...flatten(v, key));
    else rows.push([key, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return rows;
}

function code(text) {
  const c = el('code', text);
  return c;
}

function preferNative() {
  const canNative = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  const hasMse = !!(window.ManagedMediaSource || window.MediaSource);
  const safari = /Apple/.test(navigator.vendor || '');
  return canNative && (!hasMse || safari);
}

// Milliseconds between the capture time of the frame on screen (EXT-X-PROGRAM-DATE-TIME) and
// now, or null before the first frame.
function latencyMs() {
  let shown = null;
  if (state.hls && state.hls.playingDate) shown = state.hls.playingDate.getTime();
  else if (state.native && video.getStartDate) {
    const start = video.getStartDate().getTime();
    if (!Number.isNaN(start)) shown = start + video.currentTime * 1000;
  }
  return shown === null ? null : Date.now() - shown;
}

function play(token) {
  if (state.hls) { state.hls.destroy(); state.hls = null; }
  state.profile = token;
  for (const b of document.querySelectorAll('#profiles button')) {
    b.setAttribute('aria-pressed', String(b.dataset.token === token));
  }
  const url = `/hls/${encodeURIComponent(token)}/index.m3u8`;
  state.native = preferNative();
  if (state.native) {
    video.src = url;
  } else if (window.Hls && Hls.isSupported()) {
    const hls = new Hls({
      lowLatencyMode: true,
      // Keep little behind the playhead: a live view never seeks back far.
      backBufferLength: 4,
      // Catch up gently (up to 1.25x) when a little behind; REJOIN_LATENCY_S jumps.
      maxLiveSyncPlaybackRate: 1.25,
      // Each stall moves the target back by this much (hls.js default 1 s). The start
      // always stalls once while the first parts arrive; on a LAN 0.3 s of extra margin is
      // enough and keeps the delay near PART-HOLD-BACK.
      liveSyncOnStallIncrease: 0.3,
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      // Network trouble or a restarted camera: start again at live.
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else setTimeout(() => { if (state.hls === hls) play(token); }, 1000);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    state.hls = hls;
  } else {
    document.getElementById('player').textContent = 'player: this browser cannot play HLS';
    return;
  }
  video.play().catch(() => {});
  document.getElementById('player').textContent =
    `player: ${state.native ? 'native HLS' : 'hls.js ' + Hls.version}`;
  if (state.status) render(state.status);
}

// Back to the live edge when too far behind: the tab slept, the network stalled, or the
// viewer resumes after a pause (a pause itself is left alone).
function rejoin() {
  if (document.hidden || video.paused) return;
  const lat = latencyMs();
  if (state.hls) {
    if (state.hls.latency > REJOIN_LATENCY_S && state.hls.liveSyncPosition) {
      video.currentTime = state.hls.liveSyncPosition;
    }
  } else if (state.native && lat !== null && lat > REJOIN_LATENCY_S * 1000 && video.seekable.length) {
    video.currentTime = video.seekable.end(video.seekable.length - 1) - 1;
  }
}

function render(st) {
  document.getElementById('title').textContent = `${st.device.name} · ${st.device.model}`;
  const nav = document.getElementById('profiles');
  if (nav.childElementCount !== st.profiles.length) {
    nav.replaceChildren(...st.profiles.map((p) => {
      const b = el('button', p.name || p.token);
      b.dataset.token = p.token;
      b.addEventListener('click', () => play(p.token));
      return b;
    }));
  }
  const p = st.profiles.find((x) => x.token === state.profile) || st.profiles[0];
  if (!p) return;
  if (state.profile === null) play(p.token);
  for (const b of nav.children) b.setAttribute('aria-pressed', String(b.dataset.token === p.token));

  const s = p.stream || {};
  document.getElementById('viewer-summary').textContent =
    `RTSP: ${s.viewers ?? 0} watching (${s.viewers_total ?? 0} since start, ${s.viewers_kicked ?? 0} disconnected for lag) · ` +
    `browsers (HLS): ${p.hls.watchers} · HLS window: ${(p.hls.window_bytes / 1e6).toFixed(2)} MB in ${p.hls.segments} segments`;
  const body = document.querySelector('#viewers tbody');
  body.replaceChildren(...p.rtsp_viewers.map((v) => {
    const tr = el('tr');
    for (const x of [v.label, v.frames, (v.bytes / 1e6).toFixed(1), v.frames_dropped, v.resyncs, `${v.max_lag_ms} ms`]) {
      tr.append(el('td', String(x)));
    }
    return tr;
  }));
  if (!p.rtsp_viewers.length) {
    const tr = el('tr');
    const td = el('td', 'no RTSP viewer');
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
  fillKv('encoder', flatten(p.encoder));
  fillKv('imaging', flatten(p.imaging));
  fillKv('device', Object.entries(st.device));
  fillKv('urls', [
    ['ONVIF device service', code(st.onvif)],
    ...st.profiles.map((x) => [`RTSP ${x.token}`, code(x.rtsp)]),
    ...st.profiles.map((x) => [`HLS ${x.token}`, code(new URL(x.hls_url, location.href).href)]),
  ]);
}

async function refresh() {
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    if (r.ok) {
      state.status = await r.json();
      render(state.status);
    }
  } catch (e) {
    // Camera restarting: try again on the next tick.
  }
  const lat = latencyMs();
  document.getElementById('latency').textContent =
    `delay: ${lat === null ? '…' : (lat / 1000).toFixed(2) + ' s'}`;
  if (video.videoWidth) {
    document.getElementById('resolution').textContent = `${video.videoWidth}×${video.videoHeight}`;
  }
}

document.addEventListener('visibilitychange', rejoin);
video.addEventListener('play', rejoin);
setInterval(rejoin, 1000);
setInterval(refresh, 2000);
refresh();
