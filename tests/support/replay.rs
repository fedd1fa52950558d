//! A frame source that replays an Annex-B `.h264` file at a fixed frame rate, as a capture
//! thread would: PTS and wall clock come from the clocks at publish time, the file loops.
//! Only tests use it (the daemon's frames come from the SDK's capture threads), so it lives
//! here rather than in the daemon (issue 15 item 5).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use nvt::frame::{Frame, nal_type};
use nvt::rtp::RtpHub;

/// Splits an Annex-B byte stream into NAL units (without start codes).
pub(crate) fn split_nals(data: &Bytes) -> Vec<Bytes> {
    let mut starts = Vec::new(); // (start code position, payload position)
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            let sc = if i > 0 && data[i - 1] == 0 { i - 1 } else { i };
            starts.push((sc, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &(_, payload)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map(|&(sc, _)| sc).unwrap_or(data.len());
        if end > payload {
            out.push(data.slice(payload..end));
        }
    }
    out
}

/// Groups NAL units into access units (ITU-T H.264 s7.4.1.2.3): a new one starts at an AUD,
/// SPS, PPS or SEI after a slice, or at a slice whose `first_mb_in_slice` is 0.
pub(crate) fn access_units(nals: Vec<Bytes>) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = Vec::new();
    let mut cur: Vec<Bytes> = Vec::new();
    let mut has_slice = false;
    for nal in nals {
        let Some(&h) = nal.first() else { continue };
        let kind = h & 0x1f;
        let is_slice = kind == nal_type::SLICE || kind == nal_type::IDR;
        let starts_new = match kind {
            nal_type::AUD | nal_type::SPS | nal_type::PPS | nal_type::SEI => has_slice,
            // first_mb_in_slice is ue(v): value 0 is the single bit '1'.
            _ if is_slice => has_slice && nal.get(1).is_some_and(|b| b & 0x80 != 0),
            _ => false,
        };
        if starts_new && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            has_slice = false;
        }
        has_slice |= is_slice;
        cur.push(nal);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Access units of an Annex-B file.
pub fn load_annex_b(path: &std::path::Path) -> std::io::Result<Vec<Vec<Bytes>>> {
    let data = Bytes::from(std::fs::read(path)?);
    Ok(access_units(split_nals(&data)))
}

/// A running file replay; stops when dropped.
pub struct FileSource {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FileSource {
    /// Publishes `units` to `hub` at `fps`, looping, on its own OS thread (like a capture
    /// thread). PTS is the time since the source started; wall clock is the system time.
    pub fn start(hub: Arc<RtpHub>, units: Vec<Vec<Bytes>>, fps: f64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let period = Duration::from_secs_f64(1.0 / fps);
        let thread = std::thread::Builder::new()
            .name("file-source".into())
            .spawn(move || {
                let origin = Instant::now();
                let mut n: u32 = 0;
                while !s.load(Ordering::Relaxed) && !units.is_empty() {
                    let due = origin + period * n;
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    let nals = units[n as usize % units.len()].clone();
                    let keyframe = nals.iter().any(|x| x[0] & 0x1f == nal_type::IDR);
                    hub.publish(
                        Frame {
                            channel: 0,
                            seq: n,
                            pts: period * n,
                            wallclock: SystemTime::now(),
                            keyframe,
                            nals,
                        },
                        Instant::now(),
                    );
                    n = n.wrapping_add(1);
                }
            })
            .expect("spawn file-source thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FileSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
